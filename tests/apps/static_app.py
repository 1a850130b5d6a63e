# Serves $STATIC_DIR with rq.sendfile in the ways the static tests exercise.
import os
import aiowebserver as web

DIR = os.getenv("STATIC_DIR") or "."
web.limits.idle_timeout = 5
web.limits.head_timeout = 5
web.limits.write_timeout = 2

if os.getenv("LOW_MEMORY"):
    # hold the heap until no 32 KB block is left: on-the-fly gunzip cannot run
    import gc
    import aiowebserver.static  # noqa: F401  loaded (compiled) while there is room

    gc.collect()
    _ballast = []
    try:
        while gc.mem_free() > 30000:
            _ballast.append(bytearray(2048))
    except MemoryError:
        pass


@web.route("GET", "/static/", wildcard=True)
async def static(rq):
    await rq.sendfile(rq.path[8:], DIR)


@web.route("GET", "/whole/", wildcard=True)
async def whole_path(rq):
    # the request path as is, leading '/' and all
    await rq.sendfile(rq.path, DIR)


@web.route("GET", "/cwd/", wildcard=True)
async def cwd(rq):
    await rq.sendfile(rq.path[5:])


@web.route("GET", "/file")
async def by_query(rq):
    # any string a caller might pass, %-decoded from the query
    q = await rq.decode_query_data()
    await rq.sendfile(q.get("path", ""), DIR)


@web.route("GET", "/typed/", wildcard=True)
async def typed(rq):
    await rq.sendfile(rq.path[7:], DIR, {"xyz": "application/x-xyz", "txt": "text/x-mine", "*": "text/x-fallback"})


@web.route("GET", "/forced/", wildcard=True)
async def forced(rq):
    await rq.sendfile(rq.path[8:], DIR, "application/x-forced")


@web.route("GET", "/versioned/", wildcard=True)
async def versioned(rq):
    q = await rq.decode_query_data()
    await rq.sendfile(rq.path[11:], DIR, None, q.get("v", "1"))


@web.route("GET", "/cached/", wildcard=True)
async def cached(rq):
    rq.header("Cache-Control", "public, max-age=3600")
    await rq.sendfile(rq.path[8:], DIR)


@web.route("GET", "/hello")
async def hello(rq):
    await rq.w("hello")


web.run_forever()
