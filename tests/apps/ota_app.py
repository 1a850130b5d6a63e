# OTA test app: ota.receive() on POST /ota, the stand-in's state on GET /state.
# Runs from the test's temporary directory, beside the stand-in esp32.py.
import json
import aiowebserver as web
from aiowebserver import ota

ota.CHIP = 5  # the unix port names no chip: updates must be for an ESP32-C3
web.limits.body_timeout = 2


@web.route("POST", "/ota", max_body=16 << 20)
async def update(rq):
    n = await ota.receive(rq)
    rq.header_json()
    await rq.w(json.dumps({"written": n}))


@web.route("GET", "/state")
async def state(rq):
    import esp32  # the stand-in: the first upload imports it (as the board's is built in)

    rq.header_json()
    boot = esp32.Partition(esp32.Partition.BOOT).info()[4]
    await rq.w(json.dumps({"running": ota.running(), "boot": boot, "heap": esp32.heap, "log": esp32.log, "busy": ota._state["busy"]}))


@web.route("POST", "/confirm")
async def confirm(rq):
    ota.confirm()
    await rq.w("ok")


web.run_forever()
