# GET /ws: a WebSocket that echoes every message back.
import sys

import aiowebserver as web

try:
    route_ws = web.route_ws
except Exception:
    print("feature missing: web.route_ws")
    sys.exit(3)


@route_ws("/ws")
async def echo(rq, evt):
    if evt["type"] in ("text", "bytes"):
        await rq.w(evt["data"])


web.run_forever()
