# The test app for route groups (tests/test_sessions.py): group_api.py's
# group mounted at /api, the app's own hooks and error handlers around it.
# (A group's errorhandler(403) for web.csrf()'s refusals: session_app.py.)
import aiowebserver as web
import group_api

web.mount("/api", group_api)  # the module's one top-level Group


@group_api.api.route("GET", "/late")  # a route the group gets after it was mounted
async def late(rq):
    await rq.w("late route")


@web.before_request
async def app_before(rq):
    rq.header("X-Hook", "app-before")


@web.after_request
async def app_after(rq):
    rq.header("X-Hook", "app-after")


@web.route("GET", "/status")
async def status(rq):
    await rq.w("app status")


@web.route("GET", "/apistatus")
async def not_under_api(rq):
    await rq.w("not the group's")


# mistakes a program makes when it sets groups up, as the exceptions they raise
mistakes = []
for mistake in (
    lambda: group_api.api.before_request(app_before),  # a hook after mounting
    lambda: web.mount("api", group_api),  # a prefix without its '/'
    lambda: web.mount("/x", web),  # a module without a Group
):
    try:
        mistake()
        mistakes.append("accepted")
    except Exception as e:  # noqa: BLE001
        mistakes.append(type(e).__name__)


@web.route("GET", "/mistakes")
async def show_mistakes(rq):
    await rq.w(" ".join(mistakes))


@web.errorhandler(404)
async def app_not_found(rq):
    await rq.w("app 404")


@web.errorhandler(ValueError)
async def app_bad_value(rq, exc):
    rq.return_status(400)
    await rq.w("app: " + str(exc))


@web.route("GET", "/bad")
async def bad(rq):
    raise ValueError("app value")


web.run_forever()
