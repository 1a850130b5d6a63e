# Same example, listening on a chosen port: 8080, or 8081 if 8080 is taken.
import aiowebserver as web


@web.route("GET", "/")
async def root_handler(rq):
    await rq.w("Hello, world! (on a chosen port)")


web.run_forever(port=[8080, 8081])
