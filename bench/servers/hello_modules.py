# hello.py plus GET /modules, which answers the names in sys.modules: asked
# after one GET /, it tells which modules serving a Hello request loads.
import sys

import aiowebserver as web


@web.route("GET", "/")
async def hello(rq):
    await rq.w("Hello, world!")


@web.route("GET", "/modules")
async def modules(rq):
    await rq.w(" ".join(sorted(sys.modules)))


web.run_forever()
