# WebSocket chat: every message goes to every open page.
#   make run EXAMPLE=websocket    (http://127.0.0.1:8000/; HTTP_PORT=8123 for another port)
# then open http://127.0.0.1:8000/ in two browser tabs and type.
import json
import aiowebserver as web

PAGE = """<!doctype html>
<html><head><meta charset="utf-8">
<title>aiowebserver: chat</title>
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
#log{list-style:none;padding:0;border:1px solid #ddd;min-height:10em}
#log li{padding:.3em .6em;border-bottom:1px solid #eee}
#log li.info{color:#777;font-style:italic}
form{display:flex;gap:.5em}#text{flex:1;padding:.4em}
</style></head><body>
<h1>Chat</h1>
<p>Socket: <span id="state">connecting</span> &middot; people here: <b id="online">?</b></p>
<ul id="log"></ul>
<form id="form"><input id="text" autocomplete="off" placeholder="say something" maxlength="200">
<button>Send</button></form>
<script>
var log = document.getElementById("log"), state = document.getElementById("state");
var ws = new WebSocket((location.protocol == "https:" ? "wss://" : "ws://") + location.host + "/chat");
function line(text, cls) {
  var li = document.createElement("li"); li.textContent = text;
  if (cls) li.className = cls; log.appendChild(li);
}
ws.onopen = function () { state.textContent = "connected"; state.className = "live"; };
ws.onclose = function () { state.textContent = "closed"; state.className = ""; };
ws.onmessage = function (e) {
  var m = JSON.parse(e.data);
  document.getElementById("online").textContent = m.online;
  if (m.text !== undefined) line(m.who + ": " + m.text);
  else line(m.who + (m.joined ? " joined" : " left"), "info");
};
document.getElementById("form").onsubmit = function (e) {
  e.preventDefault();
  var t = document.getElementById("text");
  if (t.value && ws.readyState == 1) ws.send(t.value);
  t.value = "";
};
</script></body></html>
"""

clients = {}  # rq -> name, of every open socket
serial = [0]


@web.route("GET", "/")
async def index(rq):
    await rq.w(PAGE)


async def broadcast(message):
    data = json.dumps(message)
    for peer in list(clients):
        try:
            await peer.w(data)
        except web.ConnectionClosed:  # that page is gone
            clients.pop(peer, None)


@web.route_ws("/chat", max_message=1024)
async def chat(rq, evt):
    kind = evt["type"]
    if kind == "open":
        serial[0] += 1
        clients[rq] = "guest%d" % serial[0]
        await broadcast({"who": clients[rq], "joined": True, "online": len(clients)})
    elif kind == "close":
        name = clients.pop(rq, None)
        if name:
            await broadcast({"who": name, "joined": False, "online": len(clients)})
    elif kind == "text":
        await broadcast({"who": clients.get(rq, "?"), "text": evt["data"][:200], "online": len(clients)})


web.run_forever()
