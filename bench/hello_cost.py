# The keep-alive hello path without sockets or the event loop: server._serve
# reads N requests from a fake stream (one yield per read and per drain, as
# asyncio's streams do) and answers them, beside raw_chunked.py's loop over
# the same stream. Prints bytes allocated per request; under valgrind it
# gives instructions per request that do not depend on the machine's load
# (bench/README.md, "Why a target is missed"):
#
#   MICROPYPATH=.:.frozen .venv/bin/micropython bench/hello_cost.py [N] [raw|aiowebserver]
#   valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
#       .venv/bin/micropython bench/hello_cost.py 1000 aiowebserver   (then 3000: the difference / 2000)
import gc
import sys

from aiowebserver import route
import aiowebserver.request as request
import aiowebserver.server as server

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
WHICH = sys.argv[2] if len(sys.argv) > 2 else "raw,aiowebserver"
REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"  # what wrk sends
DATE = b"Date: Sun, 29 Nov 2026 00:35:55 GMT\r\n"
request.date_line = lambda: DATE  # its once-a-second work would depend on the run's speed
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            b"Content-Length: 13\r\n\r\nHello, world!")


@route("GET", "/")
async def hello(rq):
    await rq.w("Hello, world!")


class Stream:
    def __init__(self, n):
        self.n = n
        self.writes = 0

    def readinto(self, buf):
        yield
        if not self.n:
            return 0
        self.n -= 1
        buf[: len(REQUEST)] = REQUEST
        return len(REQUEST)

    def write(self, data):
        self.writes += 1

    def drain(self):
        yield


async def raw(reader, writer):  # bench/servers/raw_chunked.py's loop
    buf = bytearray(512)
    view = memoryview(buf)
    have = 0
    while True:
        end = buf.find(b"\r\n\r\n", 0, have)
        while end < 0:
            n = await reader.readinto(view[have:])
            if not n:
                return
            have += n
            end = buf.find(b"\r\n\r\n", 0, have)
        writer.write(RESPONSE)
        await writer.drain()
        end += 4
        have -= end
        if have:
            view[:have] = view[end : end + have]


def serve(stream):
    rq = server._slot()
    rq._reader = rq._writer = stream
    return server._serve(rq)


for name, make in (("raw", lambda s: raw(s, s)), ("aiowebserver", serve)):
    if name not in WHICH:
        continue
    stream = Stream(N)
    coro = make(stream)
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    try:
        while True:
            coro.send(None)
    except StopIteration:
        pass
    used = gc.mem_alloc() - before
    gc.enable()
    print("%-12s %d requests, %d writes, %d bytes allocated per request" % (name, N, stream.writes, used // N))
