# Server-Sent Events: a page that shows the board's numbers live.
#   make run EXAMPLE=eventsource    (http://127.0.0.1:8000/; HTTP_PORT=8123 for another port)
# then open http://127.0.0.1:8000/ . The browser's EventSource reconnects by
# itself and sends the last id it saw, so the count goes on where it stopped.
import asyncio
import gc
import json
import time
import aiowebserver as web

PAGE = """<!doctype html>
<html><head><meta charset="utf-8">
<title>aiowebserver: live events</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,">
<style>
/* the examples' shared light style: each example carries this copy */
body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:0 auto;padding:.5em 1em;color:#223;background:#f4f6f8}
h1{font-size:1.4em;margin:.4em 0}a{color:#145aa0}
code,pre{font:.9em ui-monospace,monospace;background:#eef1f4;border-radius:4px;padding:.1em .3em}
input,button{font:inherit;padding:.35em .6em;border:1px solid #b8c0cc;border-radius:6px}
button{background:#145aa0;color:#fff;border-color:#145aa0;cursor:pointer}
#state{display:inline-block;padding:.2em .6em;border-radius:1em;background:#eee}
#state.live{background:#cfc}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.2em .5em;border-bottom:1px solid #ddd}
</style></head><body>
<h1>Live events</h1>
<p>Stream: <span id="state">connecting</span> &middot; events received: <b id="count">0</b></p>
<table><thead><tr><th>id</th><th>uptime (s)</th><th>free heap</th></tr></thead><tbody id="log"></tbody></table>
<script>
var count = 0, log = document.getElementById("log"), state = document.getElementById("state");
var source = new EventSource("/events");
source.onopen = function () { state.textContent = "live"; state.className = "live"; };
source.onerror = function () { state.textContent = "reconnecting"; state.className = ""; };
source.addEventListener("tick", function (e) {
  var d = JSON.parse(e.data), row = document.createElement("tr");
  [e.lastEventId, d.uptime, d.free].forEach(function (v) {
    var td = document.createElement("td"); td.textContent = v; row.appendChild(td);
  });
  log.insertBefore(row, log.firstChild);
  if (log.rows.length > 10) log.deleteRow(-1);
  document.getElementById("count").textContent = ++count;
});
</script></body></html>
"""

START = time.time()


@web.route("GET", "/")
async def index(rq):
    await rq.w(PAGE)


def free_heap():
    try:
        return gc.mem_free()
    except AttributeError:  # CPython
        return "-"


@web.route_sse("/events")
async def events(rq):
    # one event a second; a reconnecting browser continues after its last id
    last = rq.last_event_id
    n = int(last) + 1 if last and last.isdigit() else 0
    while True:
        data = {"uptime": int(time.time() - START), "free": free_heap()}
        await rq.w(json.dumps(data), id=n, event="tick")  # ConnectionClosed ends the stream
        n += 1
        await asyncio.sleep(1)


web.run_forever()
