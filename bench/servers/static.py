# GET /big.bin served by rq.sendfile from $BENCH_STATIC_DIR.
import os

import aiowebserver as web

STATIC_DIR = os.getenv("BENCH_STATIC_DIR") or "."


@web.route("GET", "/big.bin")
async def big(rq):
    if not hasattr(rq, "sendfile"):
        await rq.return_status(501)
        await rq.w("feature missing: rq.sendfile")
        return
    await rq.sendfile("big.bin", STATIC_DIR)


web.run_forever()
