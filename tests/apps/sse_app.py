# Server-Sent Events test app: one route per behaviour the tests check.
import asyncio
import json
import aiowebserver as web

web.limits.write_timeout = 3

# streams running now, streams ended, and how each ended
stats = {"active": 0, "ended": 0, "closed_error": 0, "cancelled": 0}


@web.route_sse("/events")
async def events(rq):
    await rq.w(None, retry=1500)
    await rq.w("first")
    await rq.w("line one\nline two\r\nline three", id=2, event="multi")
    await rq.w(b"bytes too", id="x3")
    await rq.w("trailing newline\n", event="edge")
    # returning ends the stream


@web.route_sse("/resume")
async def resume(rq):
    await rq.w("%s|%s" % (rq.last_event_id, rq.headers.get("last-event-id")), event="resume")


@web.route_sse("/bad-id")
async def bad_id(rq):
    try:
        await rq.w("x", id="two\nlines")
    except ValueError:
        await rq.w("ValueError for a multi-line id")


async def _count(kind, body):
    stats["active"] += 1
    try:
        await body
    except web.ConnectionClosed:
        stats["closed_error"] += 1
    except asyncio.CancelledError:
        stats["cancelled"] += 1
        raise
    finally:
        stats["active"] -= 1
        stats["ended"] += 1


async def _ticks(rq):
    n = 0
    while True:
        await rq.w("tick %d" % n, id=n)
        n += 1
        await asyncio.sleep(0.02)


@web.route_sse("/clock")
async def clock(rq):
    await _count("clock", _ticks(rq))


@web.route_sse("/quiet", keepalive=1)
async def quiet(rq):
    # sends nothing: only keep-alive comments flow; waits until the client leaves
    await _count("quiet", asyncio.Event().wait())


@web.route_sse("/burst")
async def burst(rq):
    # ?N events as fast as the client takes them, then the stream ends
    for n in range(int(rq.query or "100")):
        await rq.w("event number %d" % n, id=n)


_kept = []  # event sources kept after their handler returned (a broadcast list)


@web.route_sse("/keep")
async def keep(rq):
    _kept.append(rq)
    await rq.w("kept")


@web.route("GET", "/send-kept")
async def send_kept(rq):
    # a late broadcast to a stream whose client is gone, from another request
    es = _kept[-1]
    try:
        await es.w("late event")
        await rq.w("sent")
    except web.ConnectionClosed:
        await rq.w("ConnectionClosed, cookies %s" % json.dumps(es.cookies))


@web.route("GET", "/stats")
async def stats_page(rq):
    rq.header_json()
    await rq.w(json.dumps(stats))


web.run_forever()
