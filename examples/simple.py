# Simple example with an index page. Run: make run (or micropython simple.py)
import aiowebserver as web


@web.route("GET", "/")
@web.route("GET", "/index.htm")
async def root_handler(rq):
    await rq.w("<!doctype html><title>aiowebserver</title><h1>Hello, world!</h1>"
               "<p>Served by aiowebserver.</p>")


web.run_forever()
