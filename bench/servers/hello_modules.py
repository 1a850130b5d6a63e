# hello.py plus GET /modules, which answers "<heap in use> <names in
# sys.modules>": asked after one GET /, it tells which modules serving a Hello
# request loads, and how much heap the running server holds (after a collect).
import gc
import sys

import aiowebserver as web


@web.route("GET", "/")
async def hello(rq):
    await rq.w("Hello, world!")


@web.route("GET", "/modules")
async def modules(rq):
    gc.collect()
    await rq.w("%d %s" % (gc.mem_alloc(), " ".join(sorted(sys.modules))))


web.run_forever()
