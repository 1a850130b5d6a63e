# A route group in its own module, mounted by group_app.py at /api: its own
# hooks and error handlers, and a group mounted inside it at /api/v2.
import aiowebserver as web

api = web.Group()
v2 = web.Group()


@api.before_request
async def api_before(rq):
    if rq.headers.get("x-deny"):
        raise web.HttpError(401)  # answered by the group's errorhandler(401)
    rq.header("X-Hook", "group-before")


@api.after_request
async def api_after(rq):
    rq.header("X-Hook", "group-after")


@api.route("GET", "/status")
async def status(rq):
    await rq.w("api status at " + rq.path)


@api.route("GET", "/item/<int:n>")
async def item(rq):
    if rq.params["n"] < 0:
        raise ValueError("negative item")
    await rq.w("item %d" % rq.params["n"])


@api.route("POST", "/item")
async def new_item(rq):
    await rq.w("created")


@api.errorhandler(404)
async def api_not_found(rq):
    rq.header_json()
    await rq.w('{"error": "no such api path"}')


@api.errorhandler(401)
async def api_denied(rq):
    await rq.w("denied by the group")


@api.errorhandler(ValueError)
async def api_bad_value(rq, exc):
    rq.return_status(422)
    await rq.w("api: " + str(exc))


@v2.route("GET", "/status")
async def v2_status(rq):
    await rq.w("v2 status")


@v2.errorhandler(404)
async def v2_not_found(rq):
    await rq.w("v2 has no such path")


api.mount("/v2", v2)
