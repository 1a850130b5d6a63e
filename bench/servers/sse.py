# GET /events: $BENCH_EVENTS server-sent events written in a loop.
import os
import sys

import aiowebserver as web

EVENTS = int(os.getenv("BENCH_EVENTS") or 1000)

try:
    route_sse = web.route_sse
except Exception:
    print("feature missing: web.route_sse")
    sys.exit(3)


@route_sse("/events")
async def events(rq):
    for i in range(EVENTS):
        await rq.w("tick %d" % i)


web.run_forever()
