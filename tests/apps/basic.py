# The test app: one route per API call the core tests exercise.
import json
import gc
import aiowebserver as web

web.limits.max_body = 4096
web.limits.idle_timeout = 2
web.limits.head_timeout = 2
web.limits.body_timeout = 2


@web.route("GET", "/")
@web.route("GET", "/index.htm")
async def root(rq):
    await rq.w("Hello, world!")


@web.route("GET", "/info")
async def info(rq):
    rq.header_json()
    await rq.w(json.dumps({"method": rq.method, "path": rq.path, "query": rq.query, "headers": rq.headers}))


@web.route("GET", "/query")
async def query(rq):
    rq.header_json()
    await rq.w(json.dumps(await rq.decode_query_data()))


@web.route("POST", "/form")
async def form(rq):
    rq.header_json()
    await rq.w(json.dumps({"is_form": rq.is_postform(), "is_json": rq.is_postjson(), "data": await rq.decode_postform_data()}))


@web.route("POST", "/json")
async def post_json(rq):
    rq.header_json()
    await rq.w(json.dumps({"is_form": rq.is_postform(), "is_json": rq.is_postjson(), "data": await rq.decode_postjson_data()}))


@web.route("POST", "/echo")
@web.route("PUT", "/echo")
async def echo(rq):
    # reads in pieces that do not divide the body, to exercise rq.r(n)
    parts = []
    while True:
        part = await rq.r(61)
        if not part:
            break
        parts.append(part)
    await rq.w(b"".join(parts))


@web.route("POST", "/ignore-body")
async def ignore_body(rq):
    await rq.w("ignored")


@web.route("GET", "/multi")
async def multi(rq):
    for i in range(5):
        await rq.w("part%d;" % i)


@web.route("GET", "/nodrain")
async def nodrain(rq):
    for i in range(3):
        await rq.w("x%d" % i, drain=False)


@web.route("GET", "/empty")
async def empty(rq):
    pass


@web.route("GET", "/status")
async def status(rq):
    q = await rq.decode_query_data()
    code = int(q.get("code", "200"))
    if "text" in q:
        rq.return_status(code, q["text"])
    else:
        rq.return_status(code)
    if code not in (204, 304):
        await rq.w("status %d" % code)


@web.route("GET", "/headers")
async def headers(rq):
    await rq.return_status(201)
    await rq.header("X-Custom", "yes")
    await rq.header_text()
    await rq.w("with headers")


@web.route("GET", "/headers-only")
async def headers_only(rq):
    rq.header("X-Only", "1")
    await rq.w(None)


@web.route("GET", "/late-status")
async def late_status(rq):
    await rq.w("body first")
    try:
        rq.return_status(404)
        await rq.w(" no error")
    except RuntimeError:
        await rq.w(" RuntimeError status")
    try:
        rq.header("X-Late", "1")
    except RuntimeError:
        await rq.w(" RuntimeError header")


@web.route("GET", "/status-after-header")
async def status_after_header(rq):
    rq.header("X-A", "1")
    try:
        rq.return_status(404)
        await rq.w("no error")
    except RuntimeError:
        await rq.w("RuntimeError")


@web.route("GET", "/redirect")
async def redirect(rq):
    await rq.redirect("/target")


@web.route("GET", "/redirect-permanent")
async def redirect_permanent(rq):
    await rq.redirect("/target", permanent=True)


@web.route("GET", "/html")
async def html(rq):
    await rq.header_html()
    await rq.w("<p>hi</p>")


@web.route("GET", "/bytes")
async def raw_bytes(rq):
    await rq.w(bytes(range(256)))


@web.route("GET", "/big")
async def big(rq):
    # 20 KB in 2 KB writes: chunked
    block = b"0123456789abcdef" * 128
    for i in range(10):
        await rq.w(block)


@web.route("GET", "/boom")
async def boom(rq):
    raise ValueError("handler bug for the test")


@web.route("GET", "/boom-late")
async def boom_late(rq):
    await rq.w("partial")
    await rq.w("more")
    raise ValueError("late handler bug for the test")


@web.route("GET", "/pass")
async def pass_first(rq):
    raise web.Http404()


@web.route("GET", "/pass")
async def pass_second(rq):
    await rq.w("second handler")


@web.route("GET", "/static/", wildcard=True)
async def wildcard(rq):
    await rq.w("wildcard " + rq.path)


@web.route("GET", "/static/exact")
async def exact_beats_wildcard(rq):
    await rq.w("exact")


@web.route("GET", "/methods")
async def methods_get(rq):
    await rq.w("get")


@web.route("DELETE", "/methods")
async def methods_delete(rq):
    await rq.w("delete")


@web.route("GET", "/heap")
async def heap(rq):
    gc.collect()
    try:
        alloc = gc.mem_alloc()
    except AttributeError:
        alloc = 0
    rq.header_json()
    await rq.w(json.dumps({"alloc": alloc}))


@web.route("POST", "/stop")
async def stop_server(rq):
    web.stop()
    await rq.w("stopping")


@web.e404()
async def not_found(rq):
    rq.return_status(404)
    await rq.w("custom 404 for " + rq.path)


web.run_forever()
