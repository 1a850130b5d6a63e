# WebSocket test app: one route per behaviour the tests check.
import sys
import asyncio
import aiowebserver as web

web.limits.write_timeout = 3

# id -> list of event types (and the close code) a tracked connection saw
seen = {}
chat = set()


def say(*args):
    print(*args)
    if hasattr(sys.stdout, "flush"):
        sys.stdout.flush()


@web.route_ws("/echo", max_message=70000)
async def echo(rq, evt):
    if evt["type"] in ("text", "bytes"):
        await rq.w(evt["data"])


@web.route_ws("/small", max_message=1000, ping_interval=0)
async def small(rq, evt):
    if evt["type"] in ("text", "bytes"):
        await rq.w("got %d" % len(evt["data"]))


@web.route_ws("/proto", protocols=["chat.v2", "chat"])
async def proto(rq, evt):
    if evt["type"] == "open":
        await rq.w("protocol %s" % rq.protocol)


@web.route_ws("/track")
async def track(rq, evt):
    # the query names the connection; close events are printed for the tests
    name = rq.query
    kind = evt["type"]
    if kind == "open":
        seen[name] = ["open"]
        await rq.w("hello %s %s" % (rq.path, rq.headers.get("x-test", "-")))
    elif kind == "close":
        seen[name].append("close %d" % evt["code"])
        say("closed", name, evt["code"])
    else:
        seen[name].append(kind)
        if evt["data"] == "close please":
            await rq.close(4001, "as you wish")
        elif evt["data"] == "fail":
            raise ValueError("handler bug for the test")
        elif evt["data"] == "ping":
            await rq.ping(b"server-ping")
            await rq.w("pinged")


@web.route("GET", "/seen")
async def seen_page(rq):
    import json

    rq.header_json()
    await rq.w(json.dumps(seen.get(rq.query)))


@web.route_ws("/chat")
async def chat_room(rq, evt):
    if evt["type"] == "open":
        chat.add(rq)
    elif evt["type"] == "close":
        chat.discard(rq)
    else:
        for peer in list(chat):
            try:
                await peer.w(evt["data"])
            except OSError:
                chat.discard(peer)


async def _ticker(rq, name):
    n = 0
    try:
        while True:
            await rq.w("tick %d" % n)
            n += 1
            await asyncio.sleep(0.02)
    except web.ConnectionClosed:
        seen[name].append("ticker stopped")
        say("ticker stopped", name)


@web.route_ws("/ticker")
async def ticker(rq, evt):
    if evt["type"] == "open":
        seen[rq.query] = ["open"]
        asyncio.create_task(_ticker(rq, rq.query))
    elif evt["type"] == "close":
        seen[rq.query].append("close")


async def _flood(rq, name):
    block = b"x" * 8192
    try:
        while True:
            await rq.w(block)
    except web.ConnectionClosed:
        say("flood stopped", name)


@web.route_ws("/flood", ping_interval=0)
async def flood(rq, evt):
    # a task that sends as fast as it can to a client that never reads
    if evt["type"] == "open":
        asyncio.create_task(_flood(rq, rq.query))
    elif evt["type"] == "close":
        say("flood closed", rq.query, evt["code"])


@web.route_ws("/pinger", ping_interval=1, ping_timeout=1)
async def pinger(rq, evt):
    if evt["type"] == "close":
        say("pinger closed", rq.query, evt["code"])


async def _stop():
    web.stop()


@web.route("GET", "/stop")
async def stop(rq):
    asyncio.create_task(_stop())  # not from the handler: stop() cancels every connection
    await rq.w("stopping")


web.run_forever()
