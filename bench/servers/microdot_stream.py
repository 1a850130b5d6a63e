# Reference for the SSE and WebSocket figures: microdot's own extensions.
# microdot's sse.send() only queues the event; the handler yields after each
# one (as a real event loop would) so the queue is written out as it goes.
import asyncio
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
        await asyncio.sleep(0)


@app.route("/ws")
@with_websocket
async def echo(request, ws):
    while True:
        await ws.send(await ws.receive())


app.run(host="127.0.0.1", port=int(os.getenv("AIOWEBSERVER_PORT") or 5000))
