# What keeps the server up, loaded on first need: error answers, logging,
# the connection cap, and restarting MicroPython's accept loop.
import asyncio
import gc
import sys
from .status import reason, error_response
from .router import _errors, exception_handler
try:
    from time import ticks_ms, ticks_add, ticks_diff
except ImportError:  # CPython
    from .clock import ticks_ms, ticks_add, ticks_diff


def log_exc(e):
    if sys.implementation.name == "micropython":
        sys.print_exception(e)
    else:
        import traceback

        traceback.print_exception(type(e), e, e.__traceback__)


async def answer_error(rq, status):
    # The answer to an HttpError raised while a request was served, through
    # the app's errorhandler(status) when it has one.
    allow = rq._allow
    _reset(rq)
    rq._status = status
    if allow is not None:
        rq._add_header("Allow", allow)  # a 405 needs it, whoever writes the body
    handler = _errors.get(status)
    if handler is not None:
        await handler(rq)
    else:
        rq._add_header("Content-Type", "text/plain; charset=utf-8")
        await rq.w("%d %s\n" % (status, reason(status)))
    await rq._finish()


async def answer_exception(rq, e):
    # A handler raised: the app's errorhandler(ExceptionClass), or a logged 500.
    handler = exception_handler(e) if _errors else None
    if handler is None:
        log_exc(e)
    if rq._started:
        return
    rq._close = True
    if handler is None:
        await answer_error(rq, 500)
    else:
        _reset(rq)
        await handler(rq, e)
        await rq._finish()


def _reset(rq):
    # Forget what a failed handler prepared.
    rq._status = 200
    rq._reason = None
    rq._hdrs = None
    rq._user_hdr = False
    rq._ctype = False
    rq._clen = None
    rq._pending = None


def evict_idle(conns):
    # Close one keep-alive connection waiting for its next request; else the
    # one that has sent its head for longest, if for over a second (browsers
    # send a head at once: that client is slow, silent or hostile).
    now = ticks_ms()
    slow = None
    for rq in conns:
        if rq._timed_out:
            continue
        if rq._idle:
            slow = rq
            break
        t = rq._since
        if t is not None and ticks_diff(now, t) > 1000 and (slow is None or ticks_diff(slow._since, t) > 0):
            slow = rq
    if slow is None:
        return False
    slow._timed_out = True
    slow._task.cancel()
    return True


async def wait_for_slot(conns, limits, state):
    # At the cap: wait for a free slot (bounded in count and time); False: 503.
    if state["waiting"] >= limits.max_waiting:
        return False
    state["waiting"] += 1
    try:
        deadline = ticks_add(ticks_ms(), limits.wait_timeout * 1000)
        while len(conns) >= limits.max_connections:
            left = ticks_diff(deadline, ticks_ms())
            if left <= 0:
                return False
            evict_idle(conns)  # again each second: heads get slow while we wait
            state["slot"].clear()
            try:
                await asyncio.wait_for(state["slot"].wait(), min(left, 1000) / 1000)
            except asyncio.TimeoutError:
                pass
        return True
    finally:
        state["waiting"] -= 1


async def overloaded(writer, conns, limits, state):
    # True when the new connection got a slot; else it was answered 503.
    evict_idle(conns)
    if await wait_for_slot(conns, limits, state):
        return True
    writer.write(error_response(503))
    await writer.drain()
    return False


async def relisten(servers, accept, host, port, limits, e):
    # MicroPython's accept loop ended on an error (a MemoryError in it ends it
    # for good): collect the dead listener and listen again.
    print("aiowebserver: accept loop failed (%r), listening again" % (e,))
    while True:
        gc.collect()
        try:
            srv = await asyncio.start_server(accept, host, port, backlog=limits.backlog)
            servers.append(srv)
            return srv
        except (OSError, MemoryError):
            await asyncio.sleep(1)
