# The test app for sessions and CSRF (tests/test_sessions.py); over HTTPS
# when $CERT and $KEY name a certificate and its key. $PARTS (default
# "sessions,csrf") picks the features, as a 64 KB board's app uses one or two:
# "csrf" brings web.cors() for /api/ and a group mounted at /admin with it.
import json
import os
import aiowebserver as web

parts = os.getenv("PARTS") or "sessions,csrf"
if "sessions" in parts:
    web.sessions("test-secret-key-0123456789", max_age=3600)
if "csrf" in parts:
    web.cors(origins=["http://friend.example"], prefix="/api/")
    web.csrf()
    # a mounted group's errorhandler(403) answers web.csrf()'s refusals under its prefix
    admin = web.Group()

    @admin.route("POST", "/thing")
    async def admin_thing(rq):
        await rq.w("admin thing changed")

    @admin.errorhandler(403)
    async def admin_refused(rq):
        await rq.w("admin: cross-site refused")

    web.mount("/admin", admin)


@web.route("GET", "/count")
async def count(rq):
    rq.session["n"] = rq.session.get("n", 0) + 1
    await rq.w("n=%d" % rq.session["n"])


@web.route("GET", "/peek")
async def peek(rq):
    rq.header_json()
    await rq.w(json.dumps(rq.session))


@web.route("POST", "/set")
async def set_(rq):
    rq.session.update(await rq.decode_postjson_data())
    await rq.w("set")


@web.route("GET", "/cart")
async def cart(rq):
    rq.session.setdefault("cart", []).append(len(rq.session.get("cart", [])))  # a change inside a value
    await rq.w("cart")


@web.route("POST", "/clear")
async def clear(rq):
    rq.session.clear()
    await rq.w("cleared")


@web.route("PUT", "/form")
@web.route("PATCH", "/form")
@web.route("DELETE", "/form")
@web.route("POST", "/form")
async def form(rq):
    await rq.w("changed by " + rq.method)


@web.route("GET", "/form")
async def form_get(rq):
    await rq.w("form")


@web.route("GET", "/streamed")
async def streamed(rq):
    await rq.w("one ")
    await rq.w("two")
    rq.session["late"] = 1  # too late: the head is gone


@web.route("POST", "/api/thing")
async def api_thing(rq):
    await rq.w("thing changed")


cert = os.getenv("CERT")
web.run_forever(ssl=web.tls_context(cert, os.getenv("KEY")) if cert else None)
