# Templates test app: the compiled `templates` package (tests/apps/templates,
# compiled by the test, .py or .mpy) is in the directory $TEMPLATES_PATH.
import gc
import os
import sys

sys.path.insert(0, os.getenv("TEMPLATES_PATH"))
import aiowebserver as web  # noqa: E402

samples = []  # gc.mem_alloc() every 500 rows of /big (MicroPython)


def probe():
    if hasattr(gc, "mem_alloc"):
        gc.collect()
        samples.append(gc.mem_alloc())
    return ""


@web.route("GET", "/page")
async def page(rq):
    items = [{"name": "a<b", "price": 1.234}, {"name": "Tom & 'Jerry'", "price": 2}]
    await web.render(rq, "page.html", title='Tom & "Jerry"', items=items, n=2,
                     html=web.safe("<b>bold</b>"), text="<i>", words=["x", "y"])


@web.route("GET", "/big")
async def big(rq):
    del samples[:]
    await web.render(rq, "big.html", rows=range(int(rq.query)), label="row<", probe=probe)


@web.route("GET", "/samples")
async def heap_samples(rq):
    await rq.w(" ".join(str(s) for s in samples))


web.run_forever()
