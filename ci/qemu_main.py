# main.py that ci/qemu-test.sh deploys to the emulated ESP32-C3 (BOARD_VARIANT=QEMU).
# ci/qemu-test.sh puts examples/device_main.py (the device template, without its
# last line, serve()) where the marker below is: the template brings up QEMU's
# open_eth Ethernet itself (no WLAN in this image) and its own page and JSON
# are what is checked; the routes below are added before it serves.
import gc

_RAW = b'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello'


async def raw_server(reader, writer):
    # The reference: a plain asyncio HTTP/1.1 server (request line and
    # headers, one answer), for the heap figure below and the benchmark.
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            close = False
            while True:
                h = await reader.readline()
                if h in (b'\r\n', b'\n', b''):
                    break
                if h.lower().startswith(b'connection:') and b'close' in h.lower():
                    close = True
            writer.write(_RAW)
            await writer.drain()
            if close:
                break
    except OSError:
        pass
    writer.close()
    await writer.wait_closed()


# --- heap in use after the first request (issue 19's figure), measured ---
# against _heap0, asyncio's import included: first the raw asyncio server
# above (what asyncio and a server need at the least), then a hello app.
# Each serves on 127.0.0.1, is asked /hello once from this MicroPython (lwIP
# loopback), the garbage is collected, and it stops. A failure is reported,
# not fatal: 'n/a (...)'.
async def _ask_once(port):
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    writer.write(b'GET /hello HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n')
    await writer.drain()
    while await reader.read(64):
        pass
    writer.close()
    await writer.wait_closed()
    reader = writer = None
    await asyncio.sleep_ms(50)  # the server's connection task ends
    gc.collect()
    return gc.mem_alloc() - _heap0


gc.collect()
_heap0 = gc.mem_alloc()  # before asyncio and aiowebserver


async def _raw_heap():
    srv = await asyncio.start_server(raw_server, '127.0.0.1', 8081, backlog=2)
    heap = await _ask_once(8081)
    srv.close()
    await srv.wait_closed()
    return heap


import asyncio  # noqa: E402

try:
    HEAP_RAW = asyncio.run(_raw_heap())
except Exception as e:  # noqa: BLE001
    HEAP_RAW = 'n/a (%r)' % e
print('qemu-main: raw asyncio server, heap in use after the first request', HEAP_RAW)
del _raw_heap  # (its function object is not the hello app's)

gc.collect()
_heap1 = gc.mem_alloc()  # before aiowebserver: the import + one route probe
import aiowebserver as web  # noqa: E402


@web.route('GET', '/hello')
async def hello(rq):
    await rq.w('hello')


gc.collect()
HEAP_IMPORT = gc.mem_alloc() - _heap1


# Still a hello app here (the template below adds its own routes and objects);
# its pooled request object then serves the template.
async def _hello_heap():
    await web.start('127.0.0.1', 8080)
    heap = await _ask_once(8080)
    web.stop()
    await asyncio.sleep_ms(50)  # its tasks end
    return heap


try:
    HEAP_HELLO = asyncio.run(_hello_heap())
except Exception as e:  # noqa: BLE001
    HEAP_HELLO = 'n/a (%r)' % e
print('qemu-main: hello app, heap in use after the first request', HEAP_HELLO)

# --- the device template ---

import time  # noqa: E402


@web.route('GET', '/limits')
async def limits_json(rq):
    lim = web.limits
    await rq.header_json()
    await rq.w(json.dumps({"max_connections": lim.max_connections, "max_waiting": lim.max_waiting,
                           "heap_import": HEAP_IMPORT, "heap_hello": HEAP_HELLO,
                           "heap_raw": HEAP_RAW}))


@web.route_sse('/events')
async def events(rq):
    for i in range(3):
        await rq.w('tick %d' % i, id=str(i))


@web.route_ws('/echo')
async def echo(rq, evt):
    if evt['type'] in ('text', 'bytes'):
        await rq.w(evt['data'])


# --- the benchmark: raw_server (above) is its reference, in the same image ---


# --- the in-guest client: requests over lwIP loopback, timed in guest time ---


async def read_answer(reader):
    # one HTTP/1.1 answer (Content-Length or chunked); its status code
    status = int((await reader.readline()).split()[1])
    length = 0
    chunked = False
    while True:
        h = await reader.readline()
        if h in (b'\r\n', b'\n', b''):
            break
        h = h.lower()
        if h.startswith(b'content-length:'):
            length = int(h[15:])
        elif h.startswith(b'transfer-encoding:') and b'chunked' in h:
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readline()).split(b';')[0], 16)
            await reader.readexactly(size + 2)
            if not size:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def one_run(port, path, n, keep):
    # n requests: one connection each, or all on one keep-alive connection;
    # (requests per second in guest time, requests answered 200)
    req = b'GET ' + path + b' HTTP/1.1\r\nHost: b\r\n' + (b'\r\n' if keep else b'Connection: close\r\n\r\n')
    ok = 0
    t0 = time.ticks_us()
    reader = writer = None
    for _ in range(n):
        if writer is None:
            reader, writer = await asyncio.open_connection('127.0.0.1', port)
        writer.write(req)
        await writer.drain()
        if await read_answer(reader) == 200:
            ok += 1
        if not keep:
            writer.close()
            await writer.wait_closed()
            writer = None
    if writer is not None:
        writer.close()
        await writer.wait_closed()
    dt = time.ticks_diff(time.ticks_us(), t0)
    return n * 1000000 // dt, ok


@web.route('GET', '/bench')
async def bench(rq):
    n = int(rq.query[2:]) if rq.query and rq.query.startswith('n=') else 200
    out = {}
    gc.collect()
    await one_run(80, b'/hello', 1, False)
    gc.collect()
    out['heap_serving'] = gc.mem_alloc() - _heap0  # in use after the first request (this one's too)
    raw = await asyncio.start_server(raw_server, '127.0.0.1', 81, backlog=2)
    for name, port, path in (('aiowebserver', 80, b'/hello'), ('raw', 81, b'/')):
        for keep in (False, True):
            rate, ok = await one_run(port, path, n, keep)
            out['%s_%s' % (name, 'keepalive' if keep else 'close')] = rate
            out['%s_%s_ok' % (name, 'keepalive' if keep else 'close')] = ok
    raw.close()
    await raw.wait_closed()
    try:  # microdot, when ci/qemu-test.sh copied it (microdot.mpy) to the board
        import os
        os.stat('microdot.mpy')
    except OSError:
        pass
    else:
        gc.collect()
        before = gc.mem_alloc()
        from microdot import Microdot
        app = Microdot()

        @app.route('/')
        async def md_hello(request):
            return 'hello'

        gc.collect()
        out['microdot_heap_import'] = gc.mem_alloc() - before
        md = asyncio.create_task(app.start_server(host='127.0.0.1', port=82))
        await asyncio.sleep_ms(200)  # its listening socket is bound
        # (microdot closes every connection after its answer: no keep-alive figure)
        out['microdot_close'], out['microdot_close_ok'] = await one_run(82, b'/', n, False)
        app.shutdown()
        try:  # its accept loop ends at the next connection
            r, w = await asyncio.open_connection('127.0.0.1', 82)
            w.close()
        except OSError:
            pass
        await asyncio.sleep_ms(100)
        md.cancel()
    out['n'] = n
    gc.collect()
    out['heap_after'] = gc.mem_alloc() - _heap0
    await rq.header_json()
    await rq.w(json.dumps(out))


print('qemu-main: ready, import + one route', HEAP_IMPORT, 'bytes')
serve()
