# Reference for the SSE and WebSocket figures: microdot's own extensions.
import os

from microdot import Microdot
from microdot.sse import with_sse
from microdot.websocket import with_websocket

EVENTS = int(os.getenv("BENCH_EVENTS") or 1000)
app = Microdot()


@app.route("/events")
@with_sse
async def events(request, sse):
    for i in range(EVENTS):
        await sse.send("tick %d" % i)


@app.route("/ws")
@with_websocket
async def echo(request, ws):
    while True:
        await ws.send(await ws.receive())


app.run(host="127.0.0.1", port=int(os.getenv("AIOWEBSERVER_PORT") or 5000))
