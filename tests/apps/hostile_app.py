# The app the hostile-client, fuzz and load tests attack.
# Limits come from $HOSTILE_LIMITS ("name=value,name=value"), so each test
# sets the ones it needs (short timeouts, a small connection cap...).
import asyncio
import gc
import json
import os
import sys

import aiowebserver as web
from aiowebserver.server import _conns, _pool

MPY = sys.implementation.name == "micropython"

_conf = os.getenv("HOSTILE_LIMITS")
if _conf:
    for item in _conf.split(","):
        k, v = item.split("=")
        if not hasattr(web.limits, k):
            raise ValueError("no limit " + k)
        setattr(web.limits, k, int(v))

_BLOCK = b"x" * 1024  # one block, sent again and again: no allocation per write
_hog = []  # what /squeeze holds


def _arg(rq, name, default):
    # ?name=N as an int; a bad number is the client's error (400)
    q = rq.query
    if not q or not q.startswith(name + "="):
        return default
    try:
        return int(q[len(name) + 1 :])
    except ValueError:
        raise web.HttpError(400)


def _heap():
    # the live heap without the pool of free request objects (a bounded cache
    # that fills up to max_connections buffers under load)
    del _pool[:]
    gc.collect()
    if MPY:
        return {"alloc": gc.mem_alloc(), "free": gc.mem_free(), "conns": len(_conns)}
    # CPython has no fixed heap: count the objects the collector tracks
    return {"alloc": len(gc.get_objects()), "free": 0, "conns": len(_conns)}


@web.route("GET", "/")
async def index(rq):
    await rq.w("ok")


@web.route("GET", "/heap")
async def heap(rq):
    rq.header_json()
    await rq.w(json.dumps(_heap()))


@web.route("POST", "/echo")
@web.route("PUT", "/echo")
async def echo(rq):
    while True:
        part = await rq.r(256)
        if not part:
            break
        await rq.w(part)


@web.route("POST", "/sink")
async def sink(rq):
    # Reads the whole body before it answers (how many bytes it got).
    n = 0
    while True:
        part = await rq.r(256)
        if not part:
            break
        n += len(part)
    await rq.w("%d" % n)


@web.route("GET", "/big")
async def big(rq):
    # ?kb=N: N KB in 1 KB writes (chunked)
    kb = min(_arg(rq, "kb", 64), 16384)
    for _ in range(kb):
        await rq.w(_BLOCK)


@web.route("GET", "/hold")
async def hold(rq):
    # ?ms=N: keeps its connection busy for N ms (at most 20 s), then answers.
    ms = _arg(rq, "ms", 2000)
    print("hold: start")  # the tests wait for this line: the slot is taken
    await asyncio.sleep(min(ms, 20000) / 1000)
    await rq.w("held")


@web.route("GET", "/oom")
async def oom(rq):
    # A handler that runs out of memory before it answered.
    if not MPY:
        raise MemoryError()  # CPython has no small heap to exhaust
    hog = []
    while True:
        hog.append(bytearray(512))


@web.route("GET", "/oom-late")
async def oom_late(rq):
    # Out of memory after the answer started: the response is cut.
    await rq.w("partial;")
    await rq.w("more;")
    if not MPY:
        raise MemoryError()
    hog = []
    while True:
        hog.append(bytearray(512))


def _fill():
    # Takes every free byte of the heap, large blocks first.
    size = 4096
    while size >= 16:
        try:
            _hog.append(bytearray(size - 8))
        except MemoryError:
            size //= 2


async def _squeeze(ms):
    # Keeps the heap full for ms: between turns of the event loop it frees a
    # little, so whatever runs next (accept loop, connections, the loop
    # itself) meets MemoryError at a different place each time.
    deadline = ms
    n = 0
    t0 = _ticks()
    try:
        while _elapsed(t0) < deadline:
            _fill()
            n += 1
            await asyncio.sleep(0)
            k = (n * 7) % 5
            del _hog[-1 - k:]
    finally:
        del _hog[:]
        gc.collect()
    print("squeeze: done, %d rounds" % n)


def _ticks():
    if MPY:
        import time

        return time.ticks_ms()
    import time

    return int(time.monotonic() * 1000)


def _elapsed(t0):
    if MPY:
        import time

        return time.ticks_diff(time.ticks_ms(), t0)
    return _ticks() - t0


@web.route("GET", "/squeeze")
async def squeeze(rq):
    # ?ms=N: start keeping the heap full for N ms (MicroPython only).
    ms = _arg(rq, "ms", 1000)
    if MPY:
        asyncio.create_task(_squeeze(ms))
    await rq.w("squeezing")


@web.route("GET", "/accept-oom")
async def accept_oom(rq):
    # The next connection's stream cannot be allocated: the accept loop meets
    # a MemoryError for that one connection (where a full heap hits it).
    if MPY:
        real = asyncio.StreamReader

        def failing(*args):
            asyncio.StreamReader = real
            print("accept-oom: stream allocation failed")
            raise MemoryError("test: no memory for the stream")

        asyncio.StreamReader = failing
    await rq.w("armed")


@web.route("GET", "/limits")
async def show_limits(rq):
    rq.header_json()
    names = ("buffer_size", "max_headers", "max_body", "max_connections", "max_waiting",
             "wait_timeout", "head_timeout", "idle_timeout", "body_timeout", "write_timeout", "backlog")
    await rq.w(json.dumps({k: getattr(web.limits, k) for k in names}))


web.run_forever()
