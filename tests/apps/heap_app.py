# An app that uses every kind of feature at once (routes, forms, static
# files, a WebSocket route, streamed multipart uploads), run in a small heap
# by tests/test_heap.py: malformed requests must each get their own 4xx (or
# a 503 with Retry-After), never a close without an answer, and a 300 KB
# upload must go through.
import gc
import json
import os
import aiowebserver as web

try:
    if gc.mem_free() + gc.mem_alloc() < 80000:
        # a 64 KB heap has room for the upload code only now, in one piece:
        # loaded on first use it may find the heap in pieces (docs/limits.md)
        import aiowebserver.multipart  # noqa: F401
except AttributeError:  # CPython
    pass

web.limits.max_body = 400000  # uploads up to ~400 KB
web.limits.idle_timeout = 5
web.limits.head_timeout = 5
web.limits.body_timeout = 5
STATIC = os.getenv("STATIC_DIR") or "."
UPLOADS = os.getenv("UPLOAD_DIR") or "."


@web.route("GET", "/")
async def index(rq):
    await rq.w("ok")


@web.route("POST", "/form")
async def form(rq):
    rq.header_json()
    await rq.w(json.dumps(await rq.decode_postform_data()))


@web.route("GET", "/static/", wildcard=True)
async def static(rq):
    await rq.sendfile(rq.path[8:], STATIC)


@web.route_ws("/ws")
async def ws(rq, evt):
    if evt["type"] in ("text", "bytes"):
        await rq.w(evt["data"])


@web.route("POST", "/upload")
async def upload(rq):
    # files go to $UPLOAD_DIR as they stream in: the body is never held whole
    out = []
    async for part in rq.parts():
        if part.filename:
            size = await part.save(UPLOADS + "/" + part.name)
            out.append("%s %d" % (part.name, size))
        else:
            out.append("%s=%s" % (part.name, (await part.read(100)).decode()))
    await rq.w(" ".join(out))


@web.route("GET", "/heap")
async def heap(rq):
    gc.collect()
    try:
        info = {"alloc": gc.mem_alloc(), "free": gc.mem_free()}
    except AttributeError:
        info = {"alloc": 0, "free": 0}
    rq.header_json()
    await rq.w(json.dumps(info))


web.run_forever()
