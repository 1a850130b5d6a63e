# Same example, listening on a chosen port: 8080, or 8081 if 8080 is taken.
#   make run EXAMPLE=simple_port    (its own port wins over HTTP_PORT: http://127.0.0.1:8080/)
import aiowebserver as web


@web.route("GET", "/")
async def root_handler(rq):
    await rq.w("Hello, world! (on a chosen port)")


web.run_forever(port=[8080, 8081])
