# web.route_ws(path) registers the GET route. The stream code (stream.py
# with websocket.py: ~12 KB of heap as .mpy on a 64-bit port) loads at
# once, while the heap is in one piece; in a heap with less than _ROOM bytes
# free (after a garbage collection) it loads on the first request for it
# instead (503 with Retry-After while there is no room), so an app that
# declares a WebSocket route still starts, and serves its pages and uploads,
# in a small heap (a failed import leaves its names behind, in pieces).
# (web.route_sse is sse.py's own: that code is smaller, ~6 KB, and loads
# when the route is declared.)
import gc
from .router import route

try:
    from micropython import const
except ImportError:  # CPython
    const = lambda x: x  # noqa: E731

_ROOM = const(32768)
_MAX_MESSAGE = const(4096)  # WebSocket: default size limit of a received message (bytes) -> 1009
_PING_INTERVAL = const(20)  # WebSocket: default seconds between server pings (0: none)
_PING_TIMEOUT = const(10)  # WebSocket: seconds without any byte from the peer after a ping -> closed


def route_ws(path, protocols=None, max_message=_MAX_MESSAGE, ping_interval=_PING_INTERVAL, ping_timeout=_PING_TIMEOUT):
    # GET route upgraded to a WebSocket; `async def handler(rq, evt)`.
    # protocols: subprotocols in order of preference (the first the client
    # offers wins), or a function(offered list) -> name or None.
    # max_message: bytes (bigger -> close 1009); ping_interval: seconds between
    # server pings (0: none); ping_timeout: extra seconds of peer silence -> closed.
    try:
        free = gc.mem_free()
        if free < _ROOM:
            gc.collect()  # the garbage of the imports before (a .mpy file is read into the heap)
            free = gc.mem_free()
    except AttributeError:  # CPython
        free = _ROOM
    if free >= _ROOM:
        __import__("aiowebserver.websocket")

    def register(handler):
        async def upgrade(rq):
            from .request import load

            await load("websocket", rq._limits)._serve(rq, handler, protocols, max_message, ping_interval, ping_timeout)

        route("GET", path)(upgrade)
        return handler

    return register
