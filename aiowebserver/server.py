# Listening, accepting, the connection lifecycle, limits and timeouts.
import asyncio
import gc
import sys
from .http import HttpError
from .request import Request
from .router import dispatch, hooked, _before, _after
try:
    from time import ticks_ms, ticks_add, ticks_diff
except ImportError:  # CPython
    from .clock import ticks_ms, ticks_add, ticks_diff

_MPY = sys.implementation.name == "micropython"


class limits:
    # Safe defaults for a microcontroller; an application changes them before
    # start(), e.g. `web.limits.max_body = 1_000_000`. Table: docs/limits.md.
    buffer_size = 1024  # bytes per connection for the request head: longer -> 414/431
    max_headers = 32  # header lines per request: more -> 431
    max_body = 16384  # bytes of request body: more -> 413
    max_connections = 10  # served at once (a browser opens 6); more wait (see max_waiting)
    max_streams = None  # SSE/WebSocket connections open at once (None: max_connections - 2); more: 503
    max_waiting = 16  # connections waiting for a slot; more get 503 at once
    wait_timeout = 10  # seconds a waiting connection waits before a 503
    head_timeout = 10  # seconds to send a complete request head -> 408
    idle_timeout = 30  # seconds a keep-alive connection may stay idle
    body_timeout = 10  # seconds without progress while a body is read -> closed
    write_timeout = 10  # seconds without progress while an answer is sent -> closed
    backlog = 8  # listen() backlog
    min_free = 4096  # MicroPython: bytes of free heap a new connection needs, else 503


# The answer when out of memory: sent without an import or an allocation.
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: 24\r\nConnection: close\r\n\r\n503 Service Unavailable\n"
)
_conns = []  # Request objects of the connections being served
_pool = []  # free head buffers, reused by new connections
_servers = []
_tasks = []
_state = {"waiting": 0, "slot": None, "stopped": None, "port": None}


async def _accept(reader, writer):
    # One task per connection, from accept to close. Never raises.
    rq = None
    try:
        if len(_conns) >= limits.max_connections:
            from .guard import overloaded

            if not await overloaded(writer, _conns, limits, _state):
                return
        if _MPY and gc.mem_free() < limits.min_free:
            del _pool[1:]  # pooled buffers are the first reserve
            gc.collect()
            if gc.mem_free() < limits.min_free and not await _room():
                raise MemoryError  # answered 503 below
        try:
            buf = _pool.pop() if _pool else bytearray(limits.buffer_size)
        except MemoryError:  # no free block that large: take an evicted one's
            if not await _room():
                raise
            buf = _pool.pop() if _pool else bytearray(limits.buffer_size)
        rq = Request(reader, writer, buf, limits)
        rq._task = asyncio.current_task()
        _conns.append(rq)
        await _serve(rq)
    except asyncio.CancelledError:
        # timed out (watchdog), evicted, or the server stops
        if rq is not None and rq._timed_out and not rq._idle and rq._end > rq._start:
            _answer(writer, 408)
    except MemoryError:
        gc.collect()
        if rq is None or not rq._started:  # not after (a part of) an answer
            _answer(writer, 503)
    except Exception as e:  # noqa: BLE001  a broken connection must not end the server
        if not isinstance(e, (OSError, HttpError)):  # HttpError: a bad body skipped after the answer
            from .guard import log_exc

            log_exc(e)
    finally:
        if rq is not None:
            _conns.remove(rq)
            if len(rq._buf) == limits.buffer_size and len(_pool) < limits.max_connections:
                _pool.append(rq._buf)
            rq._buf = rq._mv = None
            if _state["slot"] is not None:
                _state["slot"].set()
        try:
            writer.close()
            await writer.wait_closed()
        except BaseException:  # noqa: BLE001  also a second cancel while the server stops
            pass


async def _room():
    # Close an idle or slow connection for a new one, and let it end (its
    # buffer goes to the pool); False when there is none.
    from .guard import evict_idle

    if not evict_idle(_conns):
        return False
    await asyncio.sleep(0)
    gc.collect()
    return True


def _answer(writer, status):
    # Best effort complete error answer on a connection about to close.
    try:
        if status == 503:
            writer.write(_BUSY)
        else:
            from .status import error_response

            writer.write(error_response(status))
    except Exception:  # noqa: BLE001
        pass


async def _serve(rq):
    # Requests of one connection, in order, until it closes.
    first = True
    while True:
        rq._deadline = ticks_add(
            ticks_ms(), (limits.head_timeout if first else limits.idle_timeout) * 1000
        )
        rq._idle = not first
        rq.method = None
        if rq._idle and _state["waiting"] and rq._end == rq._start:
            return  # others wait for a slot: keep-alive gives way
        rq._since = ticks_ms()  # a head slower than a second may be evicted
        try:
            if not await rq._read_head():
                return
        except HttpError as e:
            if rq.method is None:  # no request to speak of: a bare answer
                _answer(rq._writer, e.status)
                await rq._writer.drain()
                return
            # the head parsed but its body can't be taken (413, 501, 417...):
            # answered like any request error, then the connection closes
            rq._deadline = None
            from .guard import answer_error

            await answer_error(rq, e.status)
            return
        rq._since = None
        first = False
        rq._deadline = None
        try:
            if _before or _after:
                await hooked(rq)
            else:
                await dispatch(rq)
            await rq._finish()
        except HttpError as e:
            if rq._started:
                return
            if e.status >= 500 or rq._left != 0:
                rq._close = True
            from .guard import answer_error

            await answer_error(rq, e.status)
        except MemoryError:
            gc.collect()
            if rq._started:
                return
            rq._close = True
            from .guard import answer_error

            await answer_error(rq, 503)
        except (OSError, asyncio.CancelledError):
            raise
        except Exception as e:  # noqa: BLE001  the handler's bug: 500, and serve on
            from .guard import answer_exception

            await answer_exception(rq, e)
            if rq._started and not rq._close:
                rq._close = True
        if rq._close or (rq._left != 0 and not await rq._skip_body()):
            return


async def _watchdog():
    # Cancels connections past their deadline (timeouts without wait_for).
    while True:
        await asyncio.sleep(0.5)
        now = ticks_ms()
        for rq in _conns:
            d = rq._deadline
            if d is not None and ticks_diff(now, d) >= 0:
                rq._deadline = None
                rq._timed_out = True
                rq._task.cancel()


async def _supervise(srv, host, port):
    # MicroPython's accept loop ends for good on an error such as a
    # MemoryError in it, and start_server keeps no reference to its socket,
    # which stays bound: find the socket while the loop waits on it, and
    # restart the loop on it. Needs no import and little heap.
    # This reads asyncio internals (core._io_queue, Server._serve): on a
    # MicroPython whose internals differ, sock stays None and the fallback
    # (guard.relisten) is used instead of failing.
    sock = None
    try:
        io = asyncio.core._io_queue.map
        for _ in range(100):
            for k in io:
                if io[k][0] is srv.task:
                    sock = io[k][2]
            if sock is not None:
                break
            await asyncio.sleep_ms(0)  # the loop is accepting: look again after
    except Exception:  # noqa: BLE001  internals not as expected
        sock = None
    while True:
        try:
            await srv.wait_closed()
            return  # closed by stop()
        except asyncio.CancelledError:
            raise
        except BaseException as e:  # noqa: BLE001
            err = e
        if sock is None:
            if srv in _servers:
                _servers.remove(srv)
            from .guard import relisten

            srv = await relisten(_servers, _accept, host, port, limits, err)
            continue
        while True:
            gc.collect()
            try:
                srv.task = asyncio.create_task(srv._serve(sock, _accept, None))
                break
            except MemoryError:
                await asyncio.sleep_ms(100)
            except Exception:  # noqa: BLE001  no such internal: listen anew
                from .guard import relisten

                srv = await relisten(_servers, _accept, host, port, limits, err)
                break
        try:
            print("aiowebserver: accept loop failed (%r), restarted" % (err,))
        except MemoryError:
            pass
        err = None


def _env(name):
    try:
        from os import getenv

        return getenv(name)
    except ImportError:
        return None


async def start(host=None, port=None):
    # Listen and serve as tasks of the running loop; returns the bound port.
    # host: $AIOWEBSERVER_HOST or '0.0.0.0'; port: $AIOWEBSERVER_PORT or
    # [80, 8000]; a list of ports is tried in order.
    if host is None:
        host = _env("AIOWEBSERVER_HOST") or "0.0.0.0"
    if port is None:
        env = _env("AIOWEBSERVER_PORT")
        port = int(env) if env else [80, 8000]
    ports = port if isinstance(port, (list, tuple)) else [port]
    err = None
    for p in ports:
        try:
            srv = await asyncio.start_server(_accept, host, p, backlog=limits.backlog)
        except OSError as e:
            err = e
            continue
        _servers.append(srv)
        _state["slot"] = asyncio.Event()
        _state["stopped"] = asyncio.Event()
        _state["port"] = p
        _tasks.append(asyncio.create_task(_watchdog()))
        if _MPY:
            asyncio.create_task(_supervise(srv, host, p))
        print("aiowebserver: serving on http://%s:%d/" % (host, p))
        return p
    raise err


def stop():
    # Stop listening, close every connection and end the server's tasks.
    for srv in _servers:
        srv.close()  # MicroPython: _supervise then returns by itself
    del _servers[:]
    for t in _tasks:
        t.cancel()
    del _tasks[:]
    me = asyncio.current_task() if _loop_running() else None
    for rq in _conns:
        if rq._task is me:
            rq._close = True  # a handler that calls stop() ends with its answer
        elif rq._task is not None:
            rq._task.cancel()
    if _state["stopped"] is not None:
        _state["stopped"].set()


def _loop_running():
    try:
        return asyncio.current_task() is not None
    except RuntimeError:  # CPython, outside a running loop
        return False


async def _run(host, port):
    await start(host, port)
    try:
        await _state["stopped"].wait()
    finally:
        stop()


def run_forever(host=None, port=None):
    # Start the server and run the loop until Ctrl-C (or stop()), then stop cleanly.
    try:
        asyncio.run(_run(host, port))
    except KeyboardInterrupt:
        print("aiowebserver: stopped")
    finally:
        stop()
