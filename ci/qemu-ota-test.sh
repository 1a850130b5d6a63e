#!/usr/bin/env bash
# Updates over the air in Espressif's QEMU: a BOARD_VARIANT=QEMU_OTA image is
# updated over HTTP with the project's own `make ota`, boots the new app and
# confirms it; an app that never confirms is rolled back at the next reset.
#   ci/qemu-ota-test.sh IMAGE [APP]
# IMAGE: the merged QEMU_OTA image (make firmware BOARD_VARIANT=QEMU_OTA);
# APP: the app image make ota sends (default: IMAGE's -app.bin beside it; an
# app from another build shows as a new "firmware" in the device JSON).
# Environment as ci/qemu-test.sh (QEMU, VENV, QEMU_TEST_TIMEOUT, QEMU_TEST_LOG).
#
# 1. a fresh flash from IMAGE boots ota_0; `make deploy PORT=socket://...
#    ADMIN_PASSWORD=...` puts the device template (examples/device_main.py) on
#    it; the template serves and confirms: device JSON slot ota_0;
# 2. `make ota HOST=127.0.0.1:PORT FIRMWARE=APP` over the forwarded port: the
#    board resets into ota_1, the template confirms it (device JSON and the
#    otadata partition in the flash file: ota_1 valid); then three uploads that
#    must be refused (garbage, the merged image, APP with one bit flipped: only
#    ESP-IDF's verification sees that one): 400 each, boot slot unchanged;
# 3. `make deploy HOST=` a main.py that serves but never confirms (the template
#    with its device.confirm() call taken out, here, not in the product); `make
#    ota` again: the board boots ota_0 pending verify; a reset (POST
#    /device/restart) without confirming: the bootloader rolls back to ota_1.
# Guest resets: QEMU resets the emulated chip in the same process on
# esp_restart(), but its flash cache emulation copies flash pages into memory
# behind the code translator's back, so the code translated for the app before
# the reset stays in use: a different app booted that way runs stale code and
# panics (seen here; the bootloader then rolled it back). So QEMU runs with
# -no-reboot, and each guest reset starts a new QEMU on the same flash file,
# which keeps what the chip wrote (otadata, the slots, the files).
# QEMU_RESTART= (empty) keeps the in-process resets, to see that. The serial
# is logged from step 1 on, across the restarts.
# One line per step; the last: "qemu-ota-test: pass ..." or "... FAIL (...)".
# Exit status: 0 pass; 1 a step failed; 2 usage; 77 skipped (no QEMU with the
# esp32c3 machine, or no image).
set -u
cd "$(dirname "$0")/.."
[ $# -eq 1 ] || [ $# -eq 2 ] || { echo "usage: ci/qemu-ota-test.sh IMAGE [APP]   (IMAGE: make firmware BOARD_VARIANT=QEMU_OTA; env QEMU=qemu-system-riscv32 with the esp32c3 machine)"; exit 2; }
IMAGE=$1
case $IMAGE in *-app.bin) echo "usage: $IMAGE is the app image: give the merged image (its -app.bin is taken from beside it)"; exit 2;; esac
APP=${2:-${1%.bin}-app.bin}
NAME=qemu-ota-test
VARIANT=QEMU_OTA
QEMU_RESTART=${QEMU_RESTART-1}
. ci/qemu-lib.sh
qemu_preflight "$IMAGE" "$APP"
export ADMIN_PASSWORD=qemu-ota-test
OTA_MAKE=(make --no-print-directory VENV="$VENV" MPREMOTE="$MPREMOTE" ADMIN_PASSWORD="$ADMIN_PASSWORD")
HOST=127.0.0.1:$HTTP_PORT
# check MODE STEP ...: one line from ci/qemu_ota_check.py
check() { timeout "$(at_most 600)" "$PYTHON" ci/qemu_ota_check.py "$@" || fail_end "$2"; }

"$PYTHON" -c 'import sys; sys.path.insert(0, "ci"); import qemu_ota_check as q
t = q.partitions(open(sys.argv[1], "rb").read(0x9000))
sys.exit(not {"ota_0", "ota_1", "otadata"} <= set(t))' "$IMAGE" \
    || fail "$IMAGE has no ota_0, ota_1 and otadata partitions at 0x8000: not a merged QEMU_OTA image"

# 1. fresh flash, the template with an admin password, running from ota_0
qemu_boot
timeout "$(at_most 240)" "${OTA_MAKE[@]}" deploy PORT="socket://127.0.0.1:$SERIAL_PORT" >"$WORK/deploy.log" 2>&1 \
    || fail "make deploy PORT=: $(tail -n 5 "$WORK/deploy.log")"
echo "ok   make deploy PORT=socket://127.0.0.1:$SERIAL_PORT ADMIN_PASSWORD=..."
"$PYTHON" ci/qemu_ota_check.py tail "$SERIAL_PORT" "$WORK/serial.log" 2>/dev/null &
TAIL_PID=$!
check expect "1 fresh flash: the template serves from ota_0, confirmed" "$HTTP_PORT" "$WORK/flash.bin" ota_0 valid \
    "$WORK/serial.log" "ota: running from ota_0, confirmed"

# 2. make ota into ota_1, confirmed; refused uploads change nothing
timeout "$(at_most 300)" "${OTA_MAKE[@]}" ota HOST="$HOST" FIRMWARE="$APP" >"$WORK/ota1.log" 2>&1 \
    || fail "2 make ota: $(tail -n 3 "$WORK/ota1.log")"
echo "ok   make ota: $(tail -n 1 "$WORK/ota1.log")"
check expect "2 make ota: the board restarted into ota_1 and confirmed it" "$HTTP_PORT" "$WORK/flash.bin" ota_1 valid \
    "$WORK/serial.log" "ota: running from ota_1, confirmed"
check refused "2b refused uploads leave the boot slot as it was" "$HTTP_PORT" "$WORK/flash.bin" "$APP" "$IMAGE"

# 3. an app that never confirms: pending verify, rolled back at the next reset
"$PYTHON" - "$WORK/noconfirm_main.py" <<'EOF' || fail "3 could not build the never-confirming main.py"
import sys
template = open("examples/device_main.py").read()
call = "slot = device.confirm()"
assert template.count(call) == 1, "examples/device_main.py no longer has one %r" % call
open(sys.argv[1], "w").write(template.replace(call, "slot = None  # qemu-ota-test: this main.py never confirms"))
EOF
timeout "$(at_most 240)" "${OTA_MAKE[@]}" deploy HOST="$HOST" DEPLOY_MAIN="$WORK/noconfirm_main.py" >"$WORK/deploy2.log" 2>&1 \
    || fail "3 make deploy HOST=: $(tail -n 3 "$WORK/deploy2.log")"
echo "ok   make deploy HOST=: $(tail -n 1 "$WORK/deploy2.log")"
timeout "$(at_most 300)" "${OTA_MAKE[@]}" ota HOST="$HOST" FIRMWARE="$APP" >"$WORK/ota2.log" 2>&1 \
    || fail "3b make ota: $(tail -n 3 "$WORK/ota2.log")"
echo "ok   make ota: $(tail -n 1 "$WORK/ota2.log")"
check expect "3b make ota again: ota_0 boots, pending verify (never confirmed)" "$HTTP_PORT" "$WORK/flash.bin" ota_0 pending_verify
check restart "3c a reset without confirming" "$HTTP_PORT"
check expect "3c the bootloader rolled back: ota_1 runs again" "$HTTP_PORT" "$WORK/flash.bin" ota_1 valid
state=$("$PYTHON" -c 'import sys; sys.path.insert(0, "ci"); import qemu_ota_check as q
e, _ = q.otadata(sys.argv[1]); print(q.slot_state(e, "ota_0"))' "$WORK/flash.bin")
[ "$state" = aborted ] || fail "3c otadata gives ota_0 $state, want aborted"
echo "ok   3c otadata marks ota_0 aborted"

kill -0 "$QEMU_PID" 2>/dev/null || fail "QEMU exited"
if [ -n "$QEMU_RESTART" ]; then
    resets="$(wc -l <"$WORK/restarts") guest resets, each a new QEMU on the same flash file"
else
    resets="$(grep -c 'RTC_SW_CPU_RST' "$WORK/serial.log") guest resets inside one QEMU process"
fi
echo "qemu-ota-test: pass in $(( $(date +%s) - START )) s: updated over HTTP to ota_1 and confirmed, refused uploads changed nothing, an unconfirmed ota_0 rolled back at the reset ($resets)"
