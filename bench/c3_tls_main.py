# main.py that bench/c3_tls.sh deploys to the emulated ESP32-C3 (BOARD_VARIANT=QEMU
# image, frozen package), with cert.pem and key.pem (EC or RSA) beside it.
# It brings up QEMU's open_eth Ethernet, serves plain HTTP on port 80 until
# GET /tls, then HTTPS on port 80 with web.tls_context('cert.pem', 'key.pem').
# GET /heap tells the heaps and the server's handshake times, all measured here
# in guest time (time.ticks_us: under QEMU -icount 3 it follows the guest's
# instructions, plus host time while the guest idles). bench/c3_tls.py is the
# host side.
import asyncio
import gc
import time

import esp32
import network

import aiowebserver as web


def idf():
    # the ESP-IDF heap that mbedTLS allocates from (CONFIG_MBEDTLS_DEFAULT_MEM_ALLOC):
    # free bytes, largest free block, lowest free bytes since boot (all regions)
    free = low = big = 0
    for _total, f, largest, lowest in esp32.idf_heap_info(esp32.HEAP_DATA):
        free += f
        low += lowest
        big = max(big, largest)
    return free, big, low


def heap():
    gc.collect()
    return {'gc_alloc': gc.mem_alloc(), 'gc_free': gc.mem_free(), 'idf': idf()}


class Timed:
    # The server's SSLContext with a clock: the guest time from wrap_socket
    # (accept) to the first request's handler is the handshake plus one request.
    def __init__(self, ctx):
        self.ctx = ctx
        self.started = {}  # id(SSL socket) -> ticks_us at wrap_socket
        self.wraps = self.fails = 0
        self.errors = []

    def wrap_socket(self, sock, **kw):
        self.wraps += 1
        t = time.ticks_us()
        try:
            s = self.ctx.wrap_socket(sock, **kw)
        except Exception as e:  # noqa: BLE001  (the server closes that connection)
            self.fails += 1
            self.errors.append(repr(e))
            raise
        self.started[id(s)] = t
        return s


state = {'ctx': None, 'switch': asyncio.Event(), 'times': [], 'before': None, 'context': None}


@web.route('GET', '/heap')
async def heap_route(rq):
    t = time.ticks_us()
    ctx = state['ctx']
    if ctx is not None:
        t0 = ctx.started.pop(id(rq._reader.s), None)  # None: not this connection's first request
        if t0 is not None:
            state['times'].append(time.ticks_diff(t, t0))
    out = heap()
    out['conns'] = len(web.server._conns)
    out['ticks_ms'] = time.ticks_ms()
    out['times_us'] = state['times']
    out['before'] = state['before']
    out['context'] = state['context']
    if ctx is not None:
        out['wraps'], out['fails'], out['errors'] = ctx.wraps, ctx.fails, ctx.errors[-3:]
    await rq.header_json()
    await rq.w(json_dumps(out))


@web.route('GET', '/hello')
async def hello(rq):
    await rq.w('hello')


@web.route('GET', '/tls')
async def tls(rq):
    rq._close = True
    await rq.w('switching to HTTPS')
    state['switch'].set()


def json_dumps(obj):
    import json

    return json.dumps(obj)


def lan_up():
    lan = network.LAN(phy_addr=1, phy_type=network.PHY_OPENETH)
    lan.active(True)
    for _ in range(100):
        if lan.isconnected():
            return lan.ipconfig('addr4')[0]
        time.sleep(0.1)
    raise OSError('no address from DHCP')


async def main():
    web.limits.max_connections = 9  # 10 lwIP sockets: the listener + 9 (docs/limits.md)
    web.limits.max_waiting = 0
    await web.start(port=80)
    print('c3-tls: plain HTTP on port 80', heap())
    await state['switch'].wait()
    await asyncio.sleep_ms(200)  # the /tls answer is out
    web.stop()
    await asyncio.sleep_ms(200)
    state['before'] = heap()  # no connection, ssl not loaded yet
    ctx = web.tls_context('cert.pem', 'key.pem')
    state['context'] = heap()  # with the context: its certificate and key parsed
    state['ctx'] = Timed(ctx)
    await web.start(port=80, ssl=state['ctx'])
    print('c3-tls: HTTPS on port 80', state['before'], state['context'])
    while True:
        await asyncio.sleep(3600)


print('c3-tls: lan', lan_up())
asyncio.run(main())
