# GPIO over HTTP: a small JSON API with URL parameters.
#
#   GET  /api/pins                 -> {"pins": {"2": 0, "8": 1, ...}}
#   GET  /api/pins/<int:pin>       -> {"pin": 8, "value": 1}
#   PUT  /api/pins/<int:pin>       body {"value": 1} -> {"pin": 8, "value": 1}
#   POST /api/pins/<int:pin>/toggle -> {"pin": 8, "value": 0}
#
# On a board the pins are machine.Pin outputs; anywhere else (the unix port,
# CPython) they are simulated, so the API can be tried and tested on a PC:
#   make run EXAMPLE=gpio_api    (http://127.0.0.1:8000/; HTTP_PORT=8123 for another port)
#   curl -X PUT -d '{"value": 1}' http://127.0.0.1:8000/api/pins/8
import json
import aiowebserver as web

# ESP32-C3 GPIOs that are safe to drive on most boards (8 is the LED on many);
# not 9 (the BOOT button pulls it to ground), 12-17 (flash), 18-21 (USB, UART)
PINS = (2, 3, 4, 5, 6, 7, 8, 10)

try:
    from machine import Pin
except ImportError:  # not on a board: pins that only remember their value
    Pin = None


class SimulatedPin:
    OUT = 1

    def __init__(self, number, mode=None):
        self._value = 0

    def value(self, v=None):
        if v is None:
            return self._value
        self._value = 1 if v else 0


_pins = {}


def pin(number):
    # The pin object of a number from PINS; 404 for any other number.
    if number not in PINS:
        raise web.HttpError(404)
    p = _pins.get(number)
    if p is None:
        p = Pin(number, Pin.OUT) if Pin is not None else SimulatedPin(number)
        _pins[number] = p
    return p


async def send_json(rq, value):
    rq.header_json()
    await rq.w(json.dumps(value))


@web.route("GET", "/api/pins")
async def list_pins(rq):
    await send_json(rq, {"pins": {str(n): pin(n).value() for n in PINS}})


@web.route("GET", "/api/pins/<int:pin>")
async def read_pin(rq):
    n = rq.params["pin"]
    await send_json(rq, {"pin": n, "value": pin(n).value()})


@web.route("PUT", "/api/pins/<int:pin>")
async def write_pin(rq):
    n = rq.params["pin"]
    p = pin(n)
    data = await rq.decode_postjson_data()  # bad JSON: 400
    value = data.get("value") if isinstance(data, dict) else None
    if value not in (0, 1, True, False):
        raise ValueError("value must be 0 or 1")
    p.value(value)
    await send_json(rq, {"pin": n, "value": p.value()})


@web.route("POST", "/api/pins/<int:pin>/toggle")
async def toggle_pin(rq):
    n = rq.params["pin"]
    p = pin(n)
    p.value(1 - p.value())
    await send_json(rq, {"pin": n, "value": p.value()})


@web.errorhandler(ValueError)
async def bad_value(rq, exc):
    rq.return_status(400)
    await send_json(rq, {"error": str(exc)})


@web.errorhandler(404)
async def not_found(rq):
    await send_json(rq, {"error": "no such pin or path: " + rq.path})


PAGE = """<!doctype html>
<html><head><meta charset="utf-8">
<title>GPIO</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,">
<style>
/* the examples' shared light style: each example carries this copy */
body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:0 auto;padding:.5em 1em;color:#223;background:#f4f6f8}
h1{font-size:1.4em;margin:.4em 0}a{color:#145aa0}
code,pre{font:.9em ui-monospace,monospace;background:#eef1f4;border-radius:4px;padding:.1em .3em}
input,button{font:inherit;padding:.35em .6em;border:1px solid #b8c0cc;border-radius:6px}
button{background:#145aa0;color:#fff;border-color:#145aa0;cursor:pointer}
</style></head><body><h1>GPIO</h1><div id="pins">loading...</div>
<script>
async function load() {
  const pins = (await (await fetch('/api/pins')).json()).pins;
  const div = document.getElementById('pins');
  div.textContent = '';
  for (const [n, v] of Object.entries(pins)) {
    const b = document.createElement('button');
    b.textContent = 'GPIO ' + n + ': ' + (v ? 'on' : 'off');
    b.onclick = async () => { await fetch('/api/pins/' + n + '/toggle', {method: 'POST'}); load(); };
    div.appendChild(b);
  }
}
load();
</script></body></html>
"""


@web.route("GET", "/")
async def index(rq):
    await rq.w(PAGE)


if __name__ == "__main__":
    web.run_forever()
