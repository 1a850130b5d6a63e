# HTTPS test app: the certificate and key files come from $CERT and $KEY
# (PEM or DER, made by the test with openssl); without them, plain HTTP.
import gc
import os
import aiowebserver as web

web.limits.head_timeout = 1  # a handshake that never finishes ends sooner in the tests


@web.route("GET", "/")
async def index(rq):
    await rq.w("hello over %s" % rq.scheme)


@web.route("GET", "/big")
async def big(rq):
    # 64 KB in 1 KB writes: many TLS records, chunked
    block = b"0123456789abcdef" * 64  # made here: 1 KB less held between requests
    for _ in range(64):
        await rq.w(block)


@web.route("GET", "/heap")
async def heap(rq):
    gc.collect()
    await rq.w("%d %d" % (gc.mem_alloc(), gc.mem_free()) if hasattr(gc, "mem_alloc") else "0 0")


# $PARTS: what the app adds to its pages, "upload,sessions,sse,ws" when
# unset. The .mpy tests run the apps a user would write for a small heap:
# TLS alone (""), TLS and SSE, TLS and WebSocket.
PARTS = os.getenv("PARTS")
PARTS = ("upload", "sessions", "sse", "ws") if PARTS is None else PARTS.split(",")

if "upload" in PARTS:

    @web.route("POST", "/echo")
    async def echo(rq):
        while True:  # rq.r(n) gives what came: over TLS, a record at a time
            data = await rq.r(512)
            if not data:
                break
            await rq.w(data)

if "sessions" in PARTS:
    web.sessions("0123456789abcdef0123456789abcdef")  # its cookie is Secure over HTTPS (rq.scheme)

    @web.route("GET", "/login")
    async def login(rq):
        rq.session["user"] = "ann"
        await rq.w("in")

if "sse" in PARTS:

    @web.route_sse("/events")
    async def events(rq):
        for i in range(3):
            await rq.w("tick %d" % i, id=i)

if "ws" in PARTS:

    @web.route_ws("/ws", max_message=8000)
    async def ws(rq, evt):
        if evt["type"] in ("text", "bytes"):
            await rq.w(evt["data"])


cert = os.getenv("CERT")  # none: plain HTTP, to check rq.scheme there
web.run_forever(ssl=web.tls_context(cert, os.getenv("KEY")) if cert else None)
