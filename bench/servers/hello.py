# The Hello server as aiowebserver users write it (seed README).
import aiowebserver as web


@web.route("GET", "/")
async def hello(rq):
    await rq.w("Hello, world!")


web.run_forever()
