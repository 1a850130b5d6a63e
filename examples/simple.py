# Simple example with an index page.
#   make run EXAMPLE=simple    (http://127.0.0.1:8000/; HTTP_PORT=8123 for another port)
import aiowebserver as web

# the examples' shared light style
STYLE = (
    '<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,">'
    "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:0 auto;padding:.5em 1em;"
    "color:#223;background:#f4f6f8}h1{font-size:1.4em;margin:.4em 0}a{color:#145aa0}"
    "code,pre{font:.9em ui-monospace,monospace;background:#eef1f4;border-radius:4px;padding:.1em .3em}"
    "input,button{font:inherit;padding:.35em .6em;border:1px solid #b8c0cc;border-radius:6px}"
    "button{background:#145aa0;color:#fff;border-color:#145aa0;cursor:pointer}</style>"
)


@web.route("GET", "/")
@web.route("GET", "/index.htm")
async def root_handler(rq):
    await rq.w("<!doctype html><meta charset=utf-8><title>aiowebserver</title>" + STYLE +
               "<h1>Hello, world!</h1><p>Served by aiowebserver.</p>")


web.run_forever()
