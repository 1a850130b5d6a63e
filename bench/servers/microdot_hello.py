# Reference: the Hello server as microdot users write it.
import os

from microdot import Microdot

app = Microdot()


@app.route("/")
async def index(request):
    return "Hello, world!"


app.run(host="127.0.0.1", port=int(os.getenv("AIOWEBSERVER_PORT") or 5000))
