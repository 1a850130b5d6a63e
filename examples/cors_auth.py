# An API that pages from another origin may call (CORS), with the changing
# part behind HTTP Basic auth.
#
#   GET  /api/status    anyone, from any allowed origin
#   POST /api/settings  only with the admin password (curl -u admin:change-me ...)
#   GET  /admin         a page; the browser asks for the password itself
#
#   make run EXAMPLE=cors_auth    (http://127.0.0.1:8000/; HTTP_PORT=8123 for another port)
#   curl -i http://127.0.0.1:8000/api/status -H 'Origin: http://localhost:8080'
#   curl -i -u admin:change-me -X POST -d '{"interval": 5}' http://127.0.0.1:8000/api/settings
#
# Basic auth sends the password in clear text: use it on a trusted network.
import json
import aiowebserver as web

# The dashboard's origin (scheme://host:port), e.g. a page served from a PC.
# credentials=True lets that page send the Authorization header with fetch().
web.cors(
    origins=["http://localhost:8080", "http://127.0.0.1:8080"],
    methods=("GET", "POST"),
    headers=("Content-Type", "Authorization"),
    max_age=600,
    credentials=True,
    prefix="/api/",
)

settings = {"interval": 10, "name": "sensor-1"}


async def send_json(rq, value):
    rq.header_json()
    await rq.w(json.dumps(value))


@web.route("GET", "/api/status")
async def status(rq):
    await send_json(rq, {"ok": True, "settings": settings})


@web.route("POST", "/api/settings")
@web.basic_auth("admin", "change-me", realm="sensor-1")
async def change_settings(rq):
    data = await rq.decode_postjson_data()
    if not isinstance(data, dict):
        raise web.HttpError(400)
    for key in ("interval", "name"):
        if key in data:
            settings[key] = data[key]
    await send_json(rq, {"ok": True, "settings": settings, "by": rq.user})


@web.route("GET", "/admin")
@web.basic_auth("admin", "change-me", realm="sensor-1")
async def admin(rq):
    text = json.dumps(settings).replace("&", "&amp;").replace("<", "&lt;")
    await rq.w("<h1>Hello %s</h1><pre>%s</pre>" % (rq.user, text))


if __name__ == "__main__":
    web.run_forever()
