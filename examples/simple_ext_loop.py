# Same example on your own asyncio loop, beside another task (a counter).
#   make run EXAMPLE=simple_ext_loop    (Ctrl-C stops it)
import asyncio
import aiowebserver as web

counter = 0


@web.route("GET", "/")
async def root_handler(rq):
    await rq.w("Hello, world! The counter is at %d." % counter)


async def count():
    global counter
    while True:
        counter += 1
        await asyncio.sleep(1)


loop = asyncio.get_event_loop()
loop.create_task(web.start())
loop.create_task(count())
try:
    loop.run_forever()
except KeyboardInterrupt:  # Ctrl-C
    print("stopped")
finally:
    web.stop()  # closes the listening socket and the connections
