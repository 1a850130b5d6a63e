# hello.py plus GET /modules, which answers "<heap in use> +<heap since
# before the import> <names in sys.modules>": asked after one GET /, it tells
# which modules serving a Hello request loads, and how much heap the running
# server holds (after a collect): in all, and what the app added to the heap
# the interpreter started with (the chip's "in use after the first request").
import gc

gc.collect()
_heap0 = gc.mem_alloc()
import sys  # noqa: E402

import aiowebserver as web  # noqa: E402


@web.route("GET", "/")
async def hello(rq):
    await rq.w("Hello, world!")


@web.route("GET", "/modules")
async def modules(rq):
    gc.collect()
    heap = gc.mem_alloc()
    await rq.w("%d +%d %s" % (heap, heap - _heap0, " ".join(sorted(sys.modules))))


web.run_forever()
