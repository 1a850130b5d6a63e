# The demo: one page with what aiowebserver is for. Live numbers pushed by
# the server (Server-Sent Events), a JSON API, static files and a form.
#
#   make run                         MicroPython, http://127.0.0.1:8000/
#   make run HTTP_PORT=8123          another port
#   MICROPYPATH=.frozen:. .venv/bin/micropython examples/demo.py
#   PYTHONPATH=. python3 examples/demo.py       (CPython; port 80, else 8000)
import asyncio
import gc
import json
import sys
import time

import aiowebserver as web

# the files of examples/static/, served under /static/
STATIC = (__file__.rsplit("/", 1)[0] if "/" in __file__ else ".") + "/static"

# The examples' shared light style (each example carries its own copy).
STYLE = """<meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="/favicon.svg"><style>
body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:0 auto;padding:.5em 1em;color:#223;background:#f4f6f8}
h1{font-size:1.4em;margin:.4em 0}h2{font-size:1.05em;margin:0 0 .4em}a{color:#145aa0}
section{background:#fff;border:1px solid #dde2e8;border-radius:8px;padding:.8em 1em;margin:.8em 0}
code,pre{font:.9em ui-monospace,monospace;background:#eef1f4;border-radius:4px;padding:.1em .3em}
pre{padding:.5em;overflow-x:auto;white-space:pre-wrap}
input,button{font:inherit;padding:.35em .6em;border:1px solid #b8c0cc;border-radius:6px}
button{background:#145aa0;color:#fff;border-color:#145aa0;cursor:pointer}
.pill{padding:.1em .6em;border-radius:1em;background:#e4e7eb;font-size:.9em}.pill.live{background:#c8efc8}
</style>"""

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>aiowebserver demo</title>""" + STYLE + """</head><body>
<h1>aiowebserver demo</h1>
<p>Served by aiowebserver on <b id="platform">?</b>: everything below comes from this one server.</p>
<section><h2>Live updates <span id="state" class="pill">connecting</span></h2>
<p>Up for <b id="uptime">-</b> s &middot; free heap <b id="free">-</b> bytes &middot;
event <b id="count">0</b></p>
<small>Pushed once a second over Server-Sent Events (<code>/events</code>).</small></section>
<section><h2>A form</h2>
<form id="form" method="post" action="/api/greet"><input name="name" value="Ada" maxlength="40"
 aria-label="name"> <button>Greet</button></form>
<p id="greeting"></p></section>
<section><h2>JSON API</h2>
<p><a href="/api/status"><code>GET /api/status</code></a> <button id="reload">Reload</button></p>
<pre id="json">-</pre></section>
<section><h2>Static files</h2>
<p><img src="/static/logo.svg" alt="logo" width="120" height="40"></p>
<p>From <code>examples/static/</code>: <a href="/static/hello.txt">hello.txt</a>,
<a href="/static/page.html">page.html</a>, <a href="/static/data.json">data.json</a></p></section>
<script>
function $(id) { return document.getElementById(id); }
var events = new EventSource("/events");
events.onopen = function () { $("state").textContent = "live"; $("state").className = "pill live"; };
events.onerror = function () { $("state").textContent = "reconnecting"; $("state").className = "pill"; };
events.addEventListener("tick", function (e) {
  var d = JSON.parse(e.data);
  $("uptime").textContent = d.uptime; $("free").textContent = d.free; $("count").textContent = e.lastEventId;
});
async function reload() {
  var d = await (await fetch("/api/status")).json();
  $("json").textContent = JSON.stringify(d, null, 2); $("platform").textContent = d.platform;
}
$("reload").onclick = reload;
$("form").onsubmit = async function (e) {
  e.preventDefault();
  var r = await fetch("/api/greet", {method: "POST", body: new URLSearchParams(new FormData(this))});
  $("greeting").textContent = (await r.json()).greeting;
  reload();
};
reload();
</script></body></html>"""

ICON = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7"'
    b' fill="#145aa0"/><path d="M9 23l7-14 7 14M12 18h8" stroke="#fff" stroke-width="3" fill="none"/></svg>'
)

START = time.time()
greeted = []  # the last few names sent with the form


def free_heap():
    try:
        return gc.mem_free()
    except AttributeError:  # CPython
        return "-"


@web.route("GET", "/")
async def index(rq):
    await rq.w(PAGE)


@web.route("GET", "/favicon.svg")
@web.route("GET", "/favicon.ico")  # what a browser asks for without the <link>
async def favicon(rq):
    rq.header("Content-Type", "image/svg+xml")
    rq.header("Cache-Control", "max-age=86400")
    await rq.w(ICON)


@web.route("GET", "/api/status")
async def status(rq):
    rq.header_json()
    await rq.w(json.dumps({
        "platform": "%s %s" % (sys.implementation.name, sys.platform),
        "uptime": int(time.time() - START),
        "free_heap": free_heap(),
        "greeted": greeted,
    }))


@web.route("POST", "/api/greet")
async def greet(rq):
    name = (await rq.decode_postform_data()).get("name") or ""
    if not isinstance(name, str) or not 0 < len(name) <= 40:
        raise web.HttpError(400)
    greeted.append(name)
    del greeted[:-5]
    rq.header_json()
    await rq.w(json.dumps({"greeting": "Hello, %s!" % name}))


@web.route("GET", "/static/", wildcard=True)
async def static(rq):
    await rq.sendfile(rq.path[7:], STATIC)


@web.route_sse("/events")
async def events(rq):
    n = 0
    while True:  # ends when the page closes (ConnectionClosed) or the server stops
        n += 1
        await rq.w(json.dumps({"uptime": int(time.time() - START), "free": free_heap()}), id=n, event="tick")
        await asyncio.sleep(1)


web.run_forever()
