# Server-Sent Events: web.route_sse(path) and the `rq` its handler gets.
# Loaded when such a route is declared (as .mpy on a 64-bit port, with
# stream.py: ~6 KB of heap), while the heap is still in one piece: loaded
# at the route's first request, in a heap the connections had cut up, it
# could not find room in a 64 KB heap with TLS (docs/https.md).
import asyncio
from .router import route
from .stream import ConnectionClosed, Stream, streams_left  # noqa: F401  (ConnectionClosed: its older home)
try:
    from time import ticks_ms, ticks_add, ticks_diff
except ImportError:
    from .clock import ticks_ms, ticks_add, ticks_diff

_MPY = hasattr(asyncio.StreamReader, "readinto")
_PING = b": ping\n\n"


class EventStream(Stream):
    # The `rq` of an SSE handler: `await rq.w(data, id=None, event=None,
    # retry=None)` sends one event; rq.last_event_id is the browser's
    # Last-Event-ID header (None on a first connection).

    def __init__(self, rq, keepalive):
        super().__init__(rq)
        self.last_event_id = rq.headers.get("last-event-id")
        self._keepalive = keepalive
        self._last = ticks_ms()  # when something was last sent

    async def w(self, data, id=None, event=None, retry=None):
        # One event. Lines of data become `data:` lines; data None sends only
        # the other fields (e.g. `await rq.w(None, retry=5000)`).
        parts = []
        for field, value in ((b"event: ", event), (b"id: ", id)):
            if value is not None:  # one line, no NUL (the browser would drop the event)
                value = str(value).encode()
                if b"\n" in value or b"\r" in value or b"\0" in value:
                    raise ValueError("SSE id/event must be one line")
                parts.append(field + value + b"\n")
        if retry is not None:
            parts.append(b"retry: %d\n" % int(retry))
        if data is not None:
            if isinstance(data, str):
                data = data.encode()
            if b"\r" in data:
                data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            parts.append(b"data: " + data.replace(b"\n", b"\ndata: ") + b"\n")
        parts.append(b"\n")
        await self._send(b"".join(parts))

    async def _send(self, frame):
        if self.closed:
            raise ConnectionClosed("event stream closed")
        rq = self._rq
        async with self._lock:
            if self.closed:
                raise ConnectionClosed("event stream closed")
            try:
                rq._send_body(frame)
            except OSError:
                self.closed = True
                raise ConnectionClosed("client went away")
            await self._drain()
            self._last = ticks_ms()

    async def _read(self):
        # Bytes from the client (it sends none): 0 means it closed.
        rq = self._rq
        if _MPY:
            n = None
            while n is None:
                n = await rq._reader.readinto(rq._mv)
            return n
        return len(await rq._reader.read(len(rq._buf)))

    async def _watch(self):
        # Runs beside the handler: sends keep-alive comments while the stream
        # is quiet, and ends the connection task when the client goes away.
        every = self._keepalive * 1000 if self._keepalive else 0
        try:
            while True:
                if not every:
                    n = await self._read()
                else:
                    left = every - ticks_diff(ticks_ms(), self._last)
                    if left <= 0:
                        await self._send(_PING)
                        continue
                    try:
                        n = await asyncio.wait_for(self._read(), left / 1000)
                    except asyncio.TimeoutError:
                        continue
                if not n:
                    break
        except OSError:
            pass
        self.closed = True
        t = self._rq._task  # (None once detached)
        if t is not None:
            t.cancel()


def route_sse(path, keepalive=15):
    # GET route whose `async def handler(rq)` runs once the response is an
    # event stream; returning ends the stream. keepalive: seconds of silence
    # before a `: ping` comment is sent (0: none).
    def register(handler):
        async def stream(rq):
            await _serve(rq, handler, keepalive)

        route("GET", path)(stream)
        return handler

    return register


async def _serve(rq, handler, keepalive):
    if not await streams_left(rq):
        return
    rq._add_header("Content-Type", "text/event-stream")
    rq._add_header("Cache-Control", "no-cache")
    rq._close = True  # the stream ends the connection
    rq._writer.write(rq._head(None))
    await rq._drain()
    if rq.method == "HEAD":
        return
    es = EventStream(rq, keepalive)
    watcher = asyncio.create_task(es._watch())
    try:
        await handler(es)
    except ConnectionClosed:
        pass  # the client went away: a normal end of the stream
    finally:
        es._end()
        watcher.cancel()
        es._detach()
