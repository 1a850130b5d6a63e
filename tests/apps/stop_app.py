# Ctrl-C test app: run_forever() three times in one process, with a page, a
# slow streamed answer, an SSE stream and a WebSocket to be cut by Ctrl-C.
import asyncio
import time
import aiowebserver as web


@web.route("GET", "/")
async def index(rq):
    await rq.w("run %d" % run)


@web.route("GET", "/slow")
async def slow(rq):
    await rq.w("started\n")
    await rq.w("more\n")  # the second write starts chunked coding: the head goes out now
    await asyncio.sleep(60)


@web.route("GET", "/busy")
async def busy(rq):
    # computes without awaiting for up to 10 s: MicroPython's Ctrl-C lands in this coroutine
    await rq.w("busy\n")
    await rq.w("computing\n")
    t0 = time.ticks_ms() if hasattr(time, "ticks_ms") else time.monotonic() * 1000
    while (time.ticks_ms() if hasattr(time, "ticks_ms") else time.monotonic() * 1000) - t0 < 10000:
        pass


@web.route_sse("/events")
async def events(rq):
    while True:
        await rq.w("tick")
        await asyncio.sleep(1)


@web.route_ws("/ws")
async def ws(rq, evt):
    if evt["type"] == "open":
        await rq.w("hello")


for run in (1, 2, 3):
    web.run_forever()
    print("run %d ended" % run)
