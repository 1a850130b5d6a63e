# Serves the repository read-only (for the mip install test), with our own sendfile.
import os
import aiowebserver as web

ROOT = os.getenv("REPO_ROOT")


@web.route("GET", "/", wildcard=True)
async def files(rq):
    await rq.sendfile(rq.path, directory=ROOT)


web.run_forever()
