# Simple example with an index page.
#   make run EXAMPLE=simple    (http://127.0.0.1:8000/; HTTP_PORT=8123 for another port)
import aiowebserver as web


@web.route("GET", "/")
@web.route("GET", "/index.htm")
async def root_handler(rq):
    await rq.w("<!doctype html><title>aiowebserver</title><h1>Hello, world!</h1>"
               "<p>Served by aiowebserver.</p>")


web.run_forever()
