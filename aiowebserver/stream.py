# What SSE and WebSocket connections share: ConnectionClosed, the count of
# open streams and the Stream base class. Its own module so that an app with
# WebSocket routes only does not load the SSE code (sse.py), and one with
# SSE routes only does not load websocket.py.
import asyncio
from .request import Request
try:
    from time import ticks_ms, ticks_add
except ImportError:
    from .clock import ticks_ms, ticks_add


class ConnectionClosed(OSError):
    # The client went away: raised by rq.w of an event stream or a WebSocket.
    pass


_live = [0]  # SSE and WebSocket connections open now


async def streams_left(rq):
    # True when one more long-lived stream may start. Streams hold their
    # connection slot for hours: limits.max_streams of them at most (default:
    # max_connections - 2), so plain requests (the page itself) still get in.
    lim = rq._limits
    most = getattr(lim, "max_streams", None)
    if most is None:
        most = lim.max_connections - 2
    if _live[0] < most:
        return True
    rq.return_status(503)
    rq._add_header("Retry-After", "5")
    rq._close = True  # free this connection's slot too
    rq.header_text()
    await rq.w("503 Service Unavailable: too many live streams\n")
    return False


class Stream:
    # What the `rq` of SSE and WebSocket handlers share: the request's
    # attributes, other ones from the connection's Request, and writes
    # serialised by a lock, usable from any task.

    def __init__(self, rq):
        self._rq = rq
        rq._reuse = False  # this object may outlive the connection: rq is its own until _detach()
        self.method = rq.method
        self.path = rq.path
        self.query = rq.query
        self.headers = rq.headers
        self.params = rq.params
        self.closed = False  # True once nothing more can be sent
        self._lock = asyncio.Lock()
        self._sender = None  # the task in drain(), if any
        self._kill = False
        self._counted = True  # in _live until _end()
        _live[0] += 1

    def __getattr__(self, name):
        return getattr(self._rq, name)

    async def _drain(self):
        # With the lock held. A drain stalled past the write timeout ends the
        # connection (watchdog); _end() then wakes this task.
        rq = self._rq
        self._write_deadline(ticks_add(ticks_ms(), rq._limits.write_timeout * 1000))
        self._sender = asyncio.current_task()
        try:
            await rq._writer.drain()
        except asyncio.CancelledError:
            if not self._kill:
                raise
            if hasattr(self._sender, "uncancel"):
                self._sender.uncancel()
            raise ConnectionClosed("peer went away")
        except OSError:
            self.closed = True
            raise ConnectionClosed("peer went away")
        finally:
            self._sender = None
            self._write_deadline(None)

    def _write_deadline(self, ticks):
        self._rq._deadline = ticks

    def _end(self):
        # The connection is over: a task blocked sending gets ConnectionClosed
        # (MicroPython does not wake it when the socket closes).
        if self._counted:
            self._counted = False
            _live[0] -= 1
        self.closed = True
        t = self._sender
        if t is not None and t is not asyncio.current_task():
            self._kill = True
            t.cancel()

    def _detach(self):
        # The connection task is done with the stream: its Request and head
        # buffer go back to the server's pool (kept by the stream, each one
        # cost the pool a Request for good, and in a small heap in pieces no
        # new one fitted: every newcomer waited 10 s for a 503). The stream
        # keeps its request's attributes in a bare Request (no buffer; no
        # class of its own: less heap as .mpy): its extensions (rq.cookies,
        # rq.user, rq.scheme...) still answer, a late write of a deadline
        # lands there, and there is no task to cancel. With no heap for
        # that, it keeps the Request, as before.
        rq = self._rq
        try:
            e = object.__new__(Request)
            e.headers = rq.headers
            e._ext = rq._ext
            e._limits = rq._limits
            e._writer = rq._writer
            e._peer = rq._peer
            e._task = e._deadline = None
        except MemoryError:
            return
        self._rq = e
        rq._reuse = True
