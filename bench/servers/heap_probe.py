# Prints the heap cost of importing a framework and registering one route:
#   HEAP <gc.mem_alloc growth after gc.collect> <peak growth during import>
# The framework is $BENCH_FRAMEWORK: aiowebserver (default) or microdot.
# BENCH_PRELOAD=asyncio imports asyncio first, to leave its cost out.
import gc
import os

import micropython

framework = os.getenv("BENCH_FRAMEWORK") or "aiowebserver"
if os.getenv("BENCH_PRELOAD") == "asyncio":
    import asyncio  # noqa: F401
gc.collect()
before = gc.mem_alloc()
try:
    current_before = micropython.mem_current()
except AttributeError:  # a build without MICROPY_MEM_STATS
    current_before = None

if framework == "microdot":
    from microdot import Microdot

    app = Microdot()

    @app.route("/")
    async def index(request):
        return "Hello, world!"

else:
    import aiowebserver as web

    @web.route("GET", "/")
    async def hello(rq):
        await rq.w("Hello, world!")


peak = -1 if current_before is None else micropython.mem_peak() - current_before
gc.collect()
print("HEAP", gc.mem_alloc() - before, peak)
