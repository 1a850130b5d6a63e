# The test app for the microdot-parity features: URL parameters, hooks, error
# handlers, cookies, CORS, Basic auth, uploads. Served over sockets by
# tests/test_features.py; imported (not served) by tests/test_testclient.py.
import binascii
import gc
import hashlib
import json
import os
import aiowebserver as web

web.limits.max_body = 1100000  # uploads up to ~1 MB
web.limits.idle_timeout = 2
web.limits.head_timeout = 2
web.limits.body_timeout = 2
UPLOADS = os.getenv("UPLOAD_DIR") or "."


async def send_json(rq, value):
    rq.header_json()
    await rq.w(json.dumps(value))


# ---- URL parameters ----

@web.route("GET", "/led/<int:pin>")
async def led_get(rq):
    await send_json(rq, {"params": rq.params, "int": isinstance(rq.params["pin"], int)})


@web.route("PUT", "/led/<int:pin>")
async def led_put(rq):
    await send_json(rq, {"pin": rq.params["pin"], "value": (await rq.decode_postjson_data())["value"]})


@web.route("GET", "/led/all")
async def led_all(rq):
    await send_json(rq, {"exact": True, "params": rq.params})


@web.route("GET", "/user/<name>")
async def user(rq):
    await send_json(rq, rq.params)


@web.route("GET", "/user/<name>/posts/<int:post>")
async def user_post(rq):
    await send_json(rq, rq.params)


@web.route("GET", "/files/<path:rest>")
async def files(rq):
    await send_json(rq, rq.params)


@web.route("GET", "/maybe/<int:n>")
async def maybe_first(rq):
    if rq.params["n"] > 100:
        raise web.Http404()  # falls through to the next route
    await rq.w("small %d" % rq.params["n"])


@web.route("GET", "/maybe/<int:n>")
async def maybe_second(rq):
    await rq.w("big %d" % rq.params["n"])


@web.route("GET", "/pass/<int:n>")
async def pass_on(rq):
    raise web.Http404()  # always: the wildcard below answers


@web.route("GET", "/pass/", wildcard=True)
async def pass_wildcard(rq):
    await send_json(rq, {"wildcard": rq.path, "params": rq.params})


@web.route("GET", "/plain")
async def plain(rq):
    await send_json(rq, {"params": rq.params})


@web.route("GET", "/led/", wildcard=True)
async def led_wildcard(rq):
    await rq.w("wildcard " + rq.path)


# ---- hooks and error handlers ----

seen = {"before": 0, "after": 0}


@web.before_request
async def count_and_block(rq):
    seen["before"] += 1
    if rq.path == "/blocked":
        rq.return_status(403)
        rq.header_text()
        await rq.w("blocked by a before_request hook")


@web.after_request
async def stamp(rq):
    seen["after"] += 1
    try:
        rq.header("X-After", str(seen["after"]))
    except RuntimeError:
        pass  # a streamed answer: its headers went out already


@web.route("GET", "/seen")
async def get_seen(rq):
    await send_json(rq, seen)


@web.route("GET", "/divide/<int:n>")
async def divide(rq):
    await rq.w("%d" % (100 // rq.params["n"]))


@web.route("GET", "/crash")
async def crash(rq):
    raise KeyError("not handled by an errorhandler")


@web.route("POST", "/small-body")
async def small_body(rq):
    await rq.w(await rq.r(10))


@web.errorhandler(404)
async def not_found(rq):
    await send_json(rq, {"error": "not found", "path": rq.path, "status": rq._status})


@web.errorhandler(405)
async def not_allowed(rq):
    await send_json(rq, {"error": "method not allowed", "status": rq._status})


@web.errorhandler(413)
async def too_large(rq):
    rq.header_text()
    await rq.w("custom 413: too large")


@web.errorhandler(ZeroDivisionError)
async def zero(rq, exc):
    rq.return_status(400)
    await send_json(rq, {"error": "division by zero"})


# ---- cookies ----

@web.route("GET", "/cookies")
async def get_cookies(rq):
    await send_json(rq, rq.cookies)


@web.route("GET", "/cookies/twice")
async def get_cookies_twice(rq):
    await send_json(rq, {"same": rq.cookies is rq.cookies})


@web.route("GET", "/cookies/set")
async def set_cookies(rq):
    q = await rq.decode_query_data()
    rq.set_cookie(q.get("name", "session"), q.get("value", "abc"))
    rq.set_cookie("prefs", "dark", max_age=3600, path="/app", http_only=False, same_site="Strict", secure=True)
    await rq.w("set")


@web.route("GET", "/cookies/number")
async def number_cookie(rq):
    rq.set_cookie("visits", 42)
    await rq.w("set")


@web.route("GET", "/cookies/delete")
async def delete_cookie(rq):
    rq.delete_cookie("session")
    await rq.w("deleted")


@web.route("GET", "/cookies/bad")
async def bad_cookies(rq):
    errors = []
    for name, value, kw in (("bad name", "x", {}), ("a;b", "x", {}), ("", "x", {}),
                            ("ok", "x", {"same_site": "Sometimes"}),
                            ("ok", "x", {"same_site": "None"})):
        try:
            rq.set_cookie(name, value, **kw)
            errors.append("accepted")
        except ValueError:
            errors.append("ValueError")
    await rq.w("ok")  # the body started: too late for a cookie
    try:
        rq.set_cookie("late", "1")
        errors.append("accepted")
    except RuntimeError:
        errors.append("RuntimeError")
    await rq.w(" " + " ".join(errors))


# ---- CORS ----

# $CORS_ORIGIN: the browser tests' page, served by another instance of this app
ORIGINS = ["http://allowed.example"]
if os.getenv("CORS_ORIGIN"):
    ORIGINS.append(os.getenv("CORS_ORIGIN"))
web.cors(origins=ORIGINS, credentials=True, expose=["X-Count"], prefix="/api/")
web.cors(prefix="/pub/", max_age=60)
web.cors(prefix="/cred/", credentials=True)  # any origin, with cookies: echoed


@web.route("GET", "/cred/me")
async def cred_me(rq):
    await send_json(rq, rq.cookies)


@web.route("GET", "/api/data")
async def api_data(rq):
    rq.header("X-Count", "3")
    await send_json(rq, {"data": [1, 2, 3]})


@web.route("DELETE", "/api/data")
async def api_delete(rq):
    await rq.w("deleted")


@web.route("GET", "/pub/info")
async def pub_info(rq):
    await rq.w("public")


@web.route("GET", "/pub/missing-handler-raises")
async def pub_boom(rq):
    raise web.HttpError(503)


# ---- Basic auth ----

@web.route("GET", "/admin")
@web.basic_auth("admin", "s3cret:with colon", realm="Device")
async def admin(rq):
    await rq.w("welcome " + rq.user)


USERS = {"alice": "wonderland", "bob": "builder"}


def check(name, password):
    return USERS.get(name) == password


@web.route("GET", "/who")
@web.basic_auth(check=check)
async def who(rq):
    await rq.w("you are " + rq.user)


@web.route("GET", "/who-not-protected")
async def who_not_protected(rq):
    await rq.w("user is %r" % (rq.user,))


# ---- uploads ----

def safe_name(filename):
    # keep the last path component, letters, digits, '-', '_', '.'
    name = filename.replace("\\", "/").split("/")[-1]
    name = "".join(c for c in name if c.isalpha() or c.isdigit() or c in "-_.")
    return name.lstrip(".") or "upload.bin"


@web.route("POST", "/upload")
async def upload(rq):
    q = await rq.decode_query_data()
    max_size = int(q["max"]) if "max" in q else None
    result = []
    async for part in rq.parts():
        info = {"name": part.name, "filename": part.filename, "type": part.content_type,
                "headers": part.headers}
        if part.filename is not None:
            info["size"] = await part.save(UPLOADS + "/" + safe_name(part.filename), max_size)
        elif "n" in q:
            # read in pieces of n bytes, hashed as they come (to test read(n))
            digest = hashlib.sha256()
            size = 0
            while True:
                data = await part.read(int(q["n"]))
                if not data:
                    break
                size += len(data)
                digest.update(data)
            info["size"] = size
            info["sha256"] = binascii.hexlify(digest.digest()).decode()
        else:
            info["value"] = (await part.read()).decode()
        result.append(info)
    gc.collect()
    await send_json(rq, result)


@web.route("POST", "/upload-skip")
async def upload_skip(rq):
    # looks only at the names: unread parts are skipped
    names = []
    async for part in rq.parts():
        names.append(part.name)
        if part.name == "half":
            names.append((await part.read(3)).decode())
    await send_json(rq, names)


@web.route("GET", "/stream")
async def stream(rq):
    for i in range(3):
        await rq.w("part%d;" % i)  # several writes: chunked


@web.route("POST", "/form")
async def form(rq):
    await send_json(rq, await rq.decode_postform_data())


@web.route("GET", "/page")
async def page(rq):
    await rq.w("<!doctype html><title>a page</title><p>a page of this origin")


@web.route("GET", "/heap")
async def heap(rq):
    gc.collect()
    try:
        alloc = gc.mem_alloc()
    except AttributeError:
        alloc = 0
    await send_json(rq, {"alloc": alloc})


if __name__ == "__main__":
    web.run_forever()
