# Listening, accepting, the connection lifecycle, limits and timeouts.
import asyncio
import gc
import sys

# Loaded when the app starts the server, after its own code: the garbage that
# left is collected before this module, request and http load (as .mpy, 23 KB
# of heap), so they fill the heap from its start. Left to the collections the
# loading itself triggers, they landed among it: the group test's app
# (tests/apps/group_app.py) could not start in 64 KB, with 38 KB free.
gc.collect()
from .http import HttpError
from .request import Request, load
from .router import dispatch, _errors
try:
    from time import ticks_ms, ticks_add, ticks_diff
except ImportError:  # CPython
    from .clock import ticks_ms, ticks_add, ticks_diff

try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

_MPY = sys.implementation.name == "micropython"
_EAGAIN = const(11)  # errno values of Linux and lwIP (ESP32)
_EBADF = const(9)
_SLOW_HEAD = const(300)  # ms: a head still incomplete after this may be closed for a newcomer


class limits:
    # Safe defaults for a microcontroller; an application changes them before
    # start(), e.g. `web.limits.max_body = 1_000_000`. Table: docs/limits.md.
    # The esp32 port (every ESP32 chip, the C3 too) has 10 lwIP sockets for
    # the listener, the served and waiting connections and the application's
    # own: there the defaults leave one spare (docs/limits.md, Sockets).
    buffer_size = 1024  # bytes per connection for the request head: longer -> 414/431
    max_headers = 32  # header lines per request: more -> 431
    max_body = 16384  # bytes of request body: more -> 413
    max_connections = 6 if sys.platform == "esp32" else 10  # served at once (a browser opens 6); more wait (see max_waiting)
    max_streams = None  # SSE/WebSocket connections open at once (None: max_connections - 2); more: 503
    max_waiting = 2 if sys.platform == "esp32" else 16  # connections waiting for a slot; more get 503 at once
    wait_timeout = 10  # seconds a waiting connection waits before a 503
    head_timeout = 10  # seconds to send a complete request head -> 408
    idle_timeout = 30  # seconds a keep-alive connection may stay idle
    body_timeout = 10  # seconds without progress while a body is read -> closed
    write_timeout = 10  # seconds without progress while an answer is sent -> closed
    backlog = 16  # listen() backlog: where new connections wait while the heap is short
    min_free = 4096  # MicroPython: bytes of free heap a new connection needs, else 503


# The answer when out of memory: sent without an import or an allocation.
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: 24\r\nRetry-After: 1\r\nConnection: close\r\n\r\n503 Service Unavailable\n"
)
_conns = []  # Request objects of the connections being served
_pool = []  # free Request objects with their head buffers (at most max_connections), for new connections
_servers = []
_tasks = []
# slot: an asyncio.Event, made when a connection first waits (_make_way): a
# server that never waits does not load asyncio.event (1.2 KB of heap on unix)
_state = {"waiting": 0, "slot": None, "port": None, "short": None, "spare": 0, "lone": None}


def _slot():
    # A request object with its head buffer for a new connection.
    return _pool.pop() if _pool else Request(bytearray(limits.buffer_size), limits)


async def _accept(reader, writer, rq=None, sock=None):
    # One task per connection, from accept to close. Never raises. rq: the
    # connection's request object when the accept loop took one (MicroPython).
    # sock: a TLS connection's socket, closed at the end: mbedTLS lets go of
    # it, unclosed, when a handshake fails (plain HTTP or garbage on the TLS
    # port).
    try:
        if len(_conns) >= limits.max_connections:
            # at the cap: wait for a slot (bounded by max_waiting and
            # wait_timeout), closing an idle or slow connection for it
            # meanwhile, else a 503. A waiter holds only its socket, stream, task.
            room = _state["waiting"] < limits.max_waiting
            deadline = ticks_add(ticks_ms(), limits.wait_timeout * 1000)
            while room and len(_conns) >= limits.max_connections:
                room = await _make_way(deadline)
            if not room:
                writer.write(_BUSY)
                await writer.drain()
                return
        if rq is None:
            rq = _slot()
        rq._reader = reader  # the rest is as rq._fresh() left it
        rq._writer = writer
        rq._task = asyncio.current_task()
        _conns.append(rq)
        if await _serve(rq):  # closes after an error answer: input may be left
            try:
                linger = load("linger", limits).linger
            except MemoryError:
                linger = None
            if linger is not None:
                await linger(rq)
            else:  # no heap for it: drop at least what has come
                _drop(rq)
    except asyncio.CancelledError:
        # timed out (watchdog), evicted, or the server stops
        if rq is not None and rq._timed_out and not rq._idle:
            if rq._end > rq._start:
                _answer(writer, 408, rq._buf)
            elif rq._timed_out == 2 and not rq._started:  # evicted, no byte read: 503, not silence
                _answer(writer, 503)
                _drop(rq)
    except MemoryError:
        gc.collect()
        if rq is None or not rq._started:  # not after (a part of) an answer
            _answer(writer, 503)
            if rq is not None:  # closed with the request unread, the socket would reset: the 503 lost
                _drop(rq)
    except Exception as e:  # noqa: BLE001  a broken connection must not end the server
        if not isinstance(e, (OSError, HttpError)):  # HttpError: a bad body skipped after the answer
            from .errors import log_exc

            log_exc(e)
    finally:
        if rq is not None:
            if rq._writer is not None:  # it served this connection
                _conns.remove(rq)
            if rq._reuse and len(rq._buf) == limits.buffer_size and len(_pool) < limits.max_connections:
                rq._fresh()  # forgets this connection's objects
                _pool.append(rq)
            else:  # a stream object may outlive its connection: its rq stays its own
                rq._buf = rq._mv = None
            if _state["waiting"]:
                _state["slot"].set()
        try:
            writer.close()
            await writer.wait_closed()
        except (Exception, asyncio.CancelledError):  # also a second cancel while the server stops
            pass  # (not KeyboardInterrupt: Ctrl-C while a connection closes must stop the server)
        if sock is not None:
            sock.close()


def _drop(rq):
    # MicroPython: drop the input that has come (64 KB at most) without
    # waiting: closed unread, a socket sends a reset that can take the
    # answer along. Returns the bytes dropped, None once the client has
    # closed (or the socket failed). (linger.py drops with it too.)
    n = 0
    if _MPY:
        try:
            sock = rq._reader.s
            while n < 65536:
                k = sock.readinto(rq._mv)
                if not k:
                    return None if k == 0 else n
                n += k
        except Exception:  # noqa: BLE001
            return None
    return n


def _evict():
    # Close one keep-alive connection waiting for its next request; else the
    # one that has been sending its head for longest, if for over _SLOW_HEAD
    # (a browser sends its head at once: that client is slow, silent or
    # hostile, and the heap or the slots it holds are wanted); else one whose
    # body has come slower than 1 KB/s for over a second.
    now = ticks_ms()
    slow = None
    body = None
    for rq in _conns:
        if rq._timed_out:
            continue
        if rq._idle:
            slow = rq
            break
        t = rq._since
        if t is not None and ticks_diff(now, t) > _SLOW_HEAD and (slow is None or ticks_diff(slow._since, t) > 0):
            slow = rq
        t = rq._body_t0
        if t is not None and rq._left != 0:
            t = ticks_diff(now, t)
            if t > 1000 and rq._total < t:
                body = rq
    if slow is None:
        slow = body
    if slow is None:
        return False
    # 2: evicted (a connection still waiting for its first byte gets a 503:
    # a busy server may have let it wait in the backlog, then not read it)
    slow._timed_out = 2
    slow._task.cancel()
    return True


def _answer(writer, status, buf=None):
    # Best effort complete error answer on a connection about to close, never
    # a close without one: short of heap, the bare answer in buf, else a 503.
    # The bare answer (no reason phrase, the status as its body) is written
    # from the connection's own head buffer when the heap has no room for the
    # linger module or the text: no import, no allocation.
    try:
        if status != 503:
            writer.write(load("linger", limits).error_response(status))
            return
    except MemoryError:
        gc.collect()
    except Exception:  # noqa: BLE001
        return
    try:
        if status != 503 and buf is not None:
            bare = (
                b"HTTP/1.1 400 \r\nContent-Type: text/plain; charset=utf-8\r\n"
                b"Content-Length: 4\r\nConnection: close\r\n\r\n400\n"
            )
            n = len(bare)
            buf[:n] = bare
            for i in (9, n - 4):
                buf[i] = 48 + status // 100
                buf[i + 1] = 48 + status // 10 % 10
                buf[i + 2] = 48 + status % 10
            writer.write(memoryview(buf)[:n])
            return
    except MemoryError:  # not even the memoryview: the constant 503
        pass
    except Exception:  # noqa: BLE001
        return
    try:
        writer.write(_BUSY)
    except Exception:  # noqa: BLE001
        pass


async def _error(rq, status, text=None):
    # The answer to an HttpError (through the app's errorhandler), or to a
    # MemoryError (503); with no heap for that, a bare one, and the
    # connection closes. A 503 the app has no errorhandler for is the
    # constant: no import (errors and status: 4 KB of heap as .mpy) when
    # the heap is short.
    try:
        if status == 503 and not _errors:
            raise MemoryError
        load("status", limits)  # (errors imports it) not even tried without room
        await load("errors", limits).answer_error(rq, status, text)
    except MemoryError:
        gc.collect()
        if rq._started:
            raise
        rq._close = True
        _answer(rq._writer, status, rq._buf)
        await rq._writer.drain()


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
        rq._since = ticks_ms()  # a head slower than _SLOW_HEAD may be evicted
        try:
            if not await rq._read_head():
                return
        except HttpError as e:
            if rq.method is None:  # no request to speak of: a bare answer
                _answer(rq._writer, e.status, rq._buf)
                await rq._writer.drain()
                return True
            # the head parsed but its body can't be taken (413, 501, 417...):
            # answered like any request error, then the connection closes
            rq._deadline = None
            await _error(rq, e.status, e.reason)
            return True
        rq._since = None
        first = False
        rq._deadline = None
        try:
            await dispatch(rq)  # (with the app's before/after_request hooks)
            await rq._finish()
        except HttpError as e:
            if rq._started:
                return
            if e.status >= 500 or rq._left != 0:
                rq._close = True
            await _error(rq, e.status, e.reason)
        except MemoryError:
            gc.collect()
            if rq._started:
                return
            rq._close = True
            await _error(rq, 503)
        except (OSError, asyncio.CancelledError):
            raise
        except Exception as e:  # noqa: BLE001  the handler's bug: 500, and serve on
            from .errors import answer_error

            await answer_error(rq, 500, None, e)
            if rq._started and not rq._close:
                rq._close = True
        if rq._close or (rq._left != 0 and not await rq._skip_body()):
            return rq._left != 0 or rq._status >= 400  # maybe input unread: linger


async def _watchdog():
    # Cancels connections past their deadline (timeouts without wait_for).
    # Never ends, and sleeps without allocating (a full heap must not stop it).
    while True:
        try:
            ms = 100 if _state["waiting"] else 500  # waiters look again soon
            await (asyncio.sleep_ms(ms) if _MPY else asyncio.sleep(ms / 1000))
            if _state["waiting"]:
                _state["slot"].set()  # waiters look again (deadline, slow heads)
            now = ticks_ms()
            for rq in _conns:
                d = rq._deadline
                if d is not None and ticks_diff(now, d) >= 0:
                    rq._deadline = None
                    rq._timed_out = True
                    rq._task.cancel()
            rq = None  # held while it sleeps, the last one would outlive its connection
        except MemoryError:
            gc.collect()


async def _listen(sock, ssl=None):
    # MicroPython's accept loop, ours: asyncio.start_server's loop ends for
    # good on an error in it (a MemoryError on a full heap) and keeps its
    # socket bound; this one never ends, and a connection it has no heap for
    # waits in the listen backlog (see _take_slot). A pending connection makes
    # the listening socket readable: Stream.readinto (public API) waits for
    # that, then fails to read from a socket that is no connection, and
    # accept() takes the connection.
    ready = asyncio.StreamReader(sock)
    one = bytearray(1)
    info = {"sslcontext": ssl} if ssl else {}  # what stream.get_extra_info tells (rq.scheme)
    rq = None  # the next connection's request object, taken before accept()
    while True:
        conn = None
        try:
            try:
                await ready.readinto(one)
            except OSError:
                pass
            if rq is None and _state["waiting"] >= limits.max_waiting and len(_conns) >= limits.max_connections:
                conn = sock.accept()[0]
                raise MemoryError  # the waiting room is full: its 503 needs no heap
            if rq is None:
                rq = await _take_slot()
            conn, peer = sock.accept()
            if rq is None:
                raise MemoryError  # the heap was short for wait_timeout: 503
            rq._peer = peer  # the client's address (as accept() gives it), for rate limits
            conn.setblocking(False)
            raw = conn
            if ssl:  # as asyncio.start_server does: the handshake happens in the first read
                from .tls import wrap_socket

                conn = await wrap_socket(ssl, conn)
            deadline = ticks_add(ticks_ms(), limits.wait_timeout * 1000)
            while True:
                try:
                    stream = asyncio.StreamReader(conn, info)
                    asyncio.create_task(_accept(stream, stream, rq, raw if ssl else None))
                    # held while it waits, they would outlive their connection
                    rq = stream = raw = peer = None
                    break
                except MemoryError:  # free, but in pieces too small
                    if not await _make_way(deadline):
                        raise
        except OSError as e:
            if rq is not None:  # no connection for it after all
                _pool.append(rq)
                rq = None
            if conn is not None:
                conn.close()
            elif e.errno == _EBADF:
                return  # closed by stop()
            elif e.errno != _EAGAIN:  # e.g. out of file descriptors: retry later
                await asyncio.sleep_ms(100)
        except MemoryError:
            gc.collect()
            try:
                if conn is not None:
                    if not ssl:  # (a TLS client could not read it)
                        conn.setblocking(False)
                        conn.send(_BUSY)
                        # drop the request it sent: closed unread, it turns
                        # the close into a reset that can take the 503 along
                        n = 0
                        while n < 4096 and conn.readinto(one):  # None: nothing more yet
                            n += 1
                    conn.close()
                await asyncio.sleep_ms(10)  # let the connections run: they free the heap
            except Exception:  # noqa: BLE001
                pass


async def _take_slot():
    # MicroPython: a request object for the next connection, taken before
    # accept(). Short of heap, the connection waits in the listen backlog,
    # costing no heap, while idle and slow connections are closed; None once
    # the heap has been short for wait_timeout (that connection gets a 503).
    while True:
        rq = None
        # min_free for the request (also with a pooled slot: the handler
        # needs heap), and a new slot's head buffer and object besides
        need = limits.min_free if _pool else limits.min_free + 2 * limits.buffer_size
        if _state["spare"]:  # a recent look found plenty of heap
            _state["spare"] -= 1
            free = need
        else:  # (gc.mem_free() scans the heap's table: its cost grows with the heap)
            free = gc.mem_free()
            if free < need:
                gc.collect()
                free = gc.mem_free()
            if free >= 16 * limits.min_free:
                _state["spare"] = 8  # eight connections cannot take that much
        if free >= need or not _conns:  # none to wait for: try with what is left
            try:
                rq = _slot()
            except MemoryError:  # free, but in pieces too small
                pass
        if rq is not None:
            _state["short"] = None
            return rq
        if _state["short"] is None:
            _state["short"] = ticks_ms()
        if not await _make_way(ticks_add(_state["short"], limits.wait_timeout * 1000)):
            return None


async def _make_way(deadline):
    # One step of making way for a newcomer (a slot, or heap on MicroPython):
    # close an idle or slow connection, else wait for one to end (keep-alive
    # connections close after their answer meanwhile). False once the
    # deadline has passed. With no connection to end, one look after a
    # collection per deadline (a newcomer), then False: waiting frees nothing
    # there, and a newcomer waiting wait_timeout for its 503 meets a
    # client's timeout (48k .mpy: 20 clients each waited 10 s per answer).
    if ticks_diff(deadline, ticks_ms()) <= 0:
        return False
    if not _conns:
        if _state["lone"] == deadline:
            return False
        _state["lone"] = deadline
    slot = _state["slot"]
    if slot is None:  # the first wait (MemoryError: the caller's 503, or a retry)
        slot = _state["slot"] = asyncio.Event()
    _state["waiting"] += 1
    try:
        if _evict():
            await asyncio.sleep(0)  # the evicted connection ends
        else:  # until a connection ends, or the watchdog's next look (0.1 s
            slot.clear()  # while someone waits): both set the event
            await slot.wait()
    finally:
        _state["waiting"] -= 1
    if _MPY:
        gc.collect()
    return True


async def start(host=None, port=None, ssl=None):
    # Listen and serve as tasks of the running loop; returns the bound port.
    # host: $AIOWEBSERVER_HOST or '0.0.0.0'; port: $AIOWEBSERVER_PORT or
    # [80, 8000]; a list of ports is tried in order. ssl: an SSLContext
    # (server side, certificate loaded): HTTPS (docs/https.md).
    try:
        from os import getenv
    except ImportError:  # a port without it (esp32)
        getenv = None
    if host is None:
        host = getenv and getenv("AIOWEBSERVER_HOST") or "0.0.0.0"
    if port is None:
        env = getenv and getenv("AIOWEBSERVER_PORT")
        port = int(env) if env else [80, 8000]
    ports = port if isinstance(port, (list, tuple)) else [port]
    err = None
    if _MPY and not _pool:
        # the first connection's request object and head buffer, made now: the
        # imports left garbage in the heap, and what start() keeps (socket,
        # tasks, asyncio's stream code) would land in the free end, leaving
        # no piece of buffer_size bytes (48k .mpy: 8 KB free, none over 432 B)
        gc.collect()
        if _errors:
            # the app (or a mounted group) has error handlers: the code that
            # finds and runs them (errors, status) loads now, in one piece,
            # not at the first error in a heap the connections cut up (64k
            # .mpy: the group test's app had 4.6 KB free, none in a piece
            # over 900 B, and answered its first error with a 503)
            try:
                load("errors", limits)
            except MemoryError:
                pass
        try:
            _pool.append(_slot())
        except MemoryError:  # no piece that big even now: serve anyway (_take_slot waits for one)
            pass
    for p in ports:
        try:
            if _MPY:  # a listening, non-blocking socket, as asyncio.start_server makes it
                import socket

                ai = socket.getaddrinfo(host, p)[0]
                srv = socket.socket(ai[0], socket.SOCK_STREAM)
                try:
                    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    srv.bind(ai[-1])
                    srv.listen(limits.backlog)
                except BaseException:
                    srv.close()
                    raise
                srv.setblocking(False)
                _tasks.append(asyncio.create_task(_listen(srv, ssl)))
            else:  # CPython's accept loop survives a failed connection
                kw = {"ssl": ssl, "ssl_handshake_timeout": limits.head_timeout} if ssl else {}
                srv = await asyncio.start_server(_accept, host, p, backlog=limits.backlog, **kw)
        except OSError as e:
            err = e
            continue
        _servers.append(srv)  # MicroPython: the listening socket
        _state["port"] = p
        _tasks.append(asyncio.create_task(_watchdog()))
        print("aiowebserver: serving on %s://%s:%d/" % ("https" if ssl else "http", host, p))
        return p
    raise err


def stop():
    # Stop listening, close every connection and end the server's tasks.
    try:
        me = asyncio.current_task()
    except RuntimeError:  # outside a running loop
        me = None
    for t in _tasks:
        if t is not me:  # after Ctrl-C, MicroPython's asyncio may still hold one as current
            t.cancel()
    _tasks[:] = [me] if me in _tasks else []
    for srv in _servers:
        srv.close()
    del _servers[:]
    for rq in _conns:
        if rq._task is me:
            rq._close = True  # a handler that calls stop() ends with its answer
        elif rq._task is not None:
            rq._task.cancel()


def run_forever(host=None, port=None, ssl=None):
    # Start the server and run the loop until Ctrl-C (or stop()), then stop
    # cleanly. (Its coroutines are made here: two module globals fewer.)
    async def run():
        await start(host, port, ssl)
        dog = _tasks[-1]  # the watchdog: it runs until stop() cancels it
        try:
            await dog
        except asyncio.CancelledError:
            if dog in _tasks:
                raise  # not stop(): this task itself was cancelled
        finally:
            # (not when this server has stopped: after Ctrl-C on MicroPython
            # this task, left waiting, may wake in the next run_forever()'s loop)
            if dog in _tasks:
                stop()

    async def end():
        # After Ctrl-C on MicroPython: the loop stopped where the interrupt hit
        # it (asyncio.run does not cancel anything there). Run it once more to
        # end the server's tasks, so every socket is closed and the port is free.
        stop()
        for _ in range(100):  # a handler may await in its finally: up to ~1 s
            if not _conns:
                return
            await asyncio.sleep_ms(10)

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        try:
            if _MPY:
                asyncio.run(end())
        except KeyboardInterrupt:  # a second Ctrl-C: no more waiting
            pass
        print("aiowebserver: stopped")
    finally:
        stop()
