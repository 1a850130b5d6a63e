# GET /big.bin served by rq.sendfile from $BENCH_STATIC_DIR.
import os

import aiowebserver as web

STATIC_DIR = os.getenv("BENCH_STATIC_DIR") or "."


@web.route("GET", "/big.bin")
async def big(rq):
    try:
        await rq.sendfile("big.bin", STATIC_DIR)
    except (AttributeError, ImportError) as e:  # the feature is not written yet
        await rq.return_status(501)
        await rq.w("feature missing: %r" % e)


web.run_forever()
