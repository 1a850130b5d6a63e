# Error answers that close their connection (server.py): the complete answer
# to an error found before a handler could run, and the close after an error
# answer. Loaded with the first one.
import asyncio
import sys
from .status import reason
from .server import _drop
try:
    from time import ticks_ms, ticks_add, ticks_diff
except ImportError:  # CPython
    from .clock import ticks_ms, ticks_add, ticks_diff

try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

_MPY = sys.implementation.name == "micropython"
_LINGER = const(2000)  # ms: at most this long dropping the rest of a refused body before close
_LINGER_IDLE = const(300)  # ms: ... and this long waiting for the next piece of it


def error_response(status):
    # A complete answer that closes the connection, for errors found before a
    # handler could run (bad head, overload, timeout).
    from .request import date_line

    text = reason(status)
    return (
        "HTTP/1.1 %d %s\r\n%sContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: %d\r\nConnection: close\r\n\r\n%d %s\n"
        % (status, text, date_line().decode(), len(text) + 5, status, text)
    ).encode()


async def linger(rq):
    # server.py: the connection closes after an error answer, maybe with input unread.
    # close() would then send a reset, not a FIN, and a reset can destroy the
    # answer before the client reads it (a client still sending its body
    # meets the reset, not the answer). So drop what the client has sent
    # already, and the rest of a declared body while it keeps coming: for at
    # most _LINGER ms, and the connection is the first evicted when a
    # newcomer needs its slot. A client that sends nothing more (it waits for
    # the answer, then closes) is closed at once or after _LINGER_IDLE ms.
    left = rq._left
    if left == 0 and rq.method is not None:  # a refused body: Content-Length too large
        try:
            left = int(rq.headers.get("content-length", 0))
        except ValueError:
            left = 0
    if rq._expect or left < 0:  # no body is coming / chunked: unknown length
        left = 0
    left -= rq._end - rq._start
    rq._start = rq._end = 0
    rq._idle = True  # evicted first; a cancel answers nothing
    end = ticks_add(ticks_ms(), _LINGER)
    mv = rq._mv
    try:
        n = _drop(rq)  # what is pending now, without waiting (MicroPython)
        if n is None:
            return  # the client closed
        left -= n
        while left > 0:
            now = ticks_ms()
            if ticks_diff(end, now) <= 0:
                return
            d = ticks_add(now, _LINGER_IDLE)
            rq._deadline = d if ticks_diff(end, d) > 0 else end  # the watchdog cancels
            if _MPY:
                k = await rq._reader.readinto(mv)
                if k is None:
                    continue
            else:
                k = len(await rq._reader.read(left if left < 65536 else 65536))
            if not k:
                return
            left -= k
    except (OSError, asyncio.CancelledError):
        pass
    finally:
        rq._deadline = None
