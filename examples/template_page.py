# A page from templates compiled ahead of time (docs/templates.md).
# `make templates` compiles examples/templates/*.html into Python modules
# next to them (the package `templates`); on a PC this program also compiles
# what changed when it starts. On a board, copy or freeze the compiled
# modules (templates/*.py or their .mpy), not the .html files.
#   make run EXAMPLE=template_page    (http://127.0.0.1:8000/; HTTP_PORT=8123 for another port)
import os
import sys
import aiowebserver as web

here = __file__.rpartition("/")[0] or "."
sys.path.insert(0, here)


def compile_templates():
    # With the template sources at hand (a PC): compile what changed, then
    # unload the compiler (~15 KB of heap). A board has the modules only.
    try:
        os.stat(here + "/templates/index.html")
    except OSError:
        return
    import aiowebserver.template_compile as compiler

    compiler.compile_dir(here + "/templates")
    del sys.modules["aiowebserver.template_compile"]
    del web.template_compile


compile_templates()

SENSORS = [
    {"name": "temperature", "value": 21.46, "unit": "\u00b0C"},
    {"name": "humidity", "value": 48.0, "unit": "%"},
    {"name": "<script>alert(1)</script>", "value": 0, "unit": "(escaped, not run)"},
]


@web.route("GET", "/")
async def index(rq):
    await web.render(rq, "index.html", board="esp32-c3", sensors=SENSORS,
                     note=web.safe("Values are <em>simulated</em>."))


web.run_forever()
