# What gets frozen into the firmware (MicroPython's docs/reference/manifest.rst).
#
# By default: the port's own default manifest (asyncio, network helpers, ...)
# plus the aiowebserver package, nothing else. Used by the board definitions in
# boards/ (MICROPY_FROZEN_MANIFEST) and by `make unix` through
# boards/manifest_unix.py, or by hand:
#   make -C ports/esp32 BOARD=ESP32_GENERIC_C3 FROZEN_MANIFEST=/path/to/manifest.py
import os

# The unix port keeps its default manifest with its variant, not in boards/:
# boards/manifest_unix.py passes port_manifest= to this file.
options.defaults(port_manifest="$(PORT_DIR)/boards/manifest.py")
include(options.port_manifest)

package("aiowebserver", base_path=".")

# Optional, only when asked (`make firmware FREEZE_MAIN=examples/device_main.py`):
# a frozen main.py. MicroPython runs a frozen main.py in preference to the
# one on the filesystem, so `make deploy` can no longer replace it.
_freeze_main = os.environ.get("AIOWEBSERVER_FREEZE_MAIN")
if _freeze_main:
    if os.path.basename(_freeze_main) != "main.py":
        raise ValueError("AIOWEBSERVER_FREEZE_MAIN must name a file called main.py")
    module("main.py", base_path=os.path.dirname(os.path.abspath(_freeze_main)))
