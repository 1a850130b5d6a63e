#!/usr/bin/env bash
# Builds the firmware images CI publishes, inside Espressif's ESP-IDF container
# (espressif/idf:<version pinned in mk/firmware.mk>), from the repository root:
#   ci/build-firmware.sh [BOARD[:VARIANT] ...]     default: ESP32_GENERIC_C3
# MicroPython is fetched at the pinned MICROPY_REF (or use MICROPY_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v idf.py >/dev/null 2>&1 && [ -n "${IDF_PATH:-}" ]; then
    . "$IDF_PATH/export.sh" >/dev/null
fi
[ $# -gt 0 ] || set -- ESP32_GENERIC_C3
for spec in "$@"; do
    board=${spec%%:*}
    variant=
    [ "$spec" = "$board" ] || variant=${spec#*:}
    make --no-print-directory firmware BOARD="$board" ${variant:+BOARD_VARIANT="$variant"}
done
ls -l firmware/*.bin
