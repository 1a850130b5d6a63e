# web.route_sse(path) and web.route_ws(path) register the GET route. The
# stream code (stream.py with sse.py: ~6 KB of heap as .mpy on a 64-bit
# port; with websocket.py: ~12 KB) loads at once, while the heap is in one
# piece; in a heap with less than _ROOM bytes free (after a garbage
# collection) it loads on the first request for it
# instead (503 with Retry-After while there is no room), so an app that
# declares a WebSocket route still starts, and serves its pages and uploads,
# in a small heap (a failed import leaves its names behind, in pieces).
import gc
from .router import route

try:
    from micropython import const
except ImportError:  # CPython
    const = lambda x: x  # noqa: E731

_ROOM = const(32768)
_KEEPALIVE = const(15)  # SSE: seconds of silence before a `: ping` comment is sent
_MAX_MESSAGE = const(4096)  # WebSocket: default size limit of a received message (bytes) -> 1009
_PING_INTERVAL = const(20)  # WebSocket: default seconds between server pings (0: none)
_PING_TIMEOUT = const(10)  # WebSocket: seconds without any byte from the peer after a ping -> closed


def _load(name):
    try:
        if gc.mem_free() < _ROOM:
            gc.collect()  # the garbage of the imports before (a .mpy file is read into the heap)
            if gc.mem_free() < _ROOM:
                return
    except AttributeError:  # CPython
        pass
    __import__("aiowebserver." + name)


def route_sse(path, keepalive=_KEEPALIVE):
    # GET route whose `async def handler(rq)` runs once the response is an
    # event stream; returning ends the stream. keepalive: seconds (0: none).
    _load("sse")

    def register(handler):
        async def stream(rq):
            from .request import load

            await load("sse", rq._limits)._serve(rq, handler, keepalive)

        route("GET", path)(stream)
        return handler

    return register


def route_ws(path, protocols=None, max_message=_MAX_MESSAGE, ping_interval=_PING_INTERVAL, ping_timeout=_PING_TIMEOUT):
    # GET route upgraded to a WebSocket; `async def handler(rq, evt)`.
    # protocols: subprotocols in order of preference (the first the client
    # offers wins), or a function(offered list) -> name or None.
    # max_message: bytes (bigger -> close 1009); ping_interval: seconds between
    # server pings (0: none); ping_timeout: extra seconds of peer silence -> closed.
    _load("websocket")

    def register(handler):
        async def upgrade(rq):
            from .request import load

            await load("websocket", rq._limits)._upgrade(rq, handler, protocols, max_message, ping_interval, ping_timeout)

        route("GET", path)(upgrade)
        return handler

    return register
