# Shared by ci/qemu-test.sh and ci/qemu-ota-test.sh (sourced, not run): the
# checks that decide a skip, the flash file, booting Espressif's QEMU, the
# REPL wait, one-line failures and the clean-up. The sourcing script sets NAME
# (its name in messages), VARIANT (the BOARD_VARIANT its image comes from) and
# IMAGE, and is run from the repository root.
QEMU=${QEMU:-qemu-system-riscv32}
VENV=${VENV:-.venv}
ESPTOOL=${ESPTOOL:-$VENV/bin/esptool}
MPREMOTE=${MPREMOTE:-$VENV/bin/mpremote}
PYTHON=${PYTHON:-$(command -v python3 || echo python)}
TOTAL=${QEMU_TEST_TIMEOUT:-900}
SKIP=77

skip() { echo "SKIP: $*"; exit $SKIP; }

# qemu_preflight FILE...: skip (77) without QEMU, its esp32c3 machine, or one of
# the images; fail without esptool/mpremote
qemu_preflight() {
    command -v "$QEMU" >/dev/null 2>&1 || skip "QEMU $QEMU not found (set QEMU to Espressif's qemu-system-riscv32)"
    local f
    for f in "$@"; do
        [ -f "$f" ] || skip "no image $f (make firmware BOARD=ESP32_GENERIC_C3 BOARD_VARIANT=$VARIANT)"
    done
    timeout 20 "$QEMU" -machine help 2>/dev/null | grep -q '^esp32c3 ' \
        || skip "QEMU $QEMU has no esp32c3 machine (Espressif's QEMU has it: idf_tools.py install qemu-riscv32)"
    for tool in "$ESPTOOL" "$MPREMOTE"; do
        command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool not found: run make venv (or set VENV)"; exit 1; }
    done
    START=$(date +%s)
    WORK=$(mktemp -d)
    QEMU_PID=
    trap qemu_cleanup EXIT
    trap 'exit 1' INT TERM
    HTTP_PORT=$(free_port)
    SERIAL_PORT=$(free_port)
}

left() { echo $(( TOTAL - ($(date +%s) - START) )); }
# at_most N: N seconds, or what is left of TOTAL when less
at_most() { local l; l=$(left); echo $(( l < $1 ? l : $1 )); }

# QEMU_TEST_LOG: a directory to keep QEMU's output and the files deployed in
qemu_cleanup() {
    touch "$WORK/stop"  # QEMU_RESTART's loop ends
    [ -n "${TAIL_PID:-}" ] && kill "$TAIL_PID" 2>/dev/null
    [ -s "$WORK/qemu.pid" ] && kill "$(cat "$WORK/qemu.pid")" 2>/dev/null
    [ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2>/dev/null && wait "$QEMU_PID" 2>/dev/null
    if [ -n "${QEMU_TEST_LOG:-}" ]; then mkdir -p "$QEMU_TEST_LOG" && cp "$WORK"/*.log "$WORK"/*.py "$QEMU_TEST_LOG"/ 2>/dev/null; fi
    rm -rf "$WORK"
}

fail() { echo "FAIL $*"; fail_end "$1"; }
# fail_end STEP: after a FAIL line printed already: the logs' ends, the last line
fail_end() {
    local log
    for log in "$WORK/qemu.log" "$WORK/serial.log"; do
        [ -s "$log" ] && { echo "--- the end of $(basename "$log"):"; tail -n 20 "$log"; }
    done
    echo "$NAME: FAIL ($1)"
    exit 1
}

free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# qemu_args: QEMU's arguments for the flash file: -icount 3 (guest time
# advances with the instructions: repeatable figures), open_eth user networking
# (board port 80 on 127.0.0.1:HTTP_PORT), the serial on 127.0.0.1:SERIAL_PORT
qemu_args() {
    QEMU_ARGS=(-machine esp32c3 -icount 3 -display none -monitor none
        -drive file="$WORK/flash.bin",if=mtd,format=raw
        -global driver=timer.esp32c3.timg,property=wdt_disable,value=true
        -nic user,model=open_eth,hostfwd=tcp:127.0.0.1:$HTTP_PORT-:80
        -serial tcp:127.0.0.1:$SERIAL_PORT,server,nowait)
}

# qemu_boot: a fresh 4 MB flash file from IMAGE ($WORK/flash.bin), booted
# with qemu_args; then waits for the MicroPython prompt. QEMU is killed at the end
# of the run, or after TOTAL seconds. With QEMU_RESTART=1: QEMU runs with
# -no-reboot, and each guest reset (it exits with status 0) starts a new QEMU
# on the same flash file (one line each in $WORK/restarts); ci/qemu-ota-test.sh
# says why.
qemu_boot() {
    timeout 120 "$ESPTOOL" --chip esp32c3 merge-bin --pad-to-size 4MB -o "$WORK/flash.bin" 0x0 "$IMAGE" >"$WORK/merge.log" 2>&1 \
        || fail "merging the image: $(tail -n 3 "$WORK/merge.log")"
    qemu_args
    if [ -n "${QEMU_RESTART:-}" ]; then
        (
            while :; do
                timeout "$(left)" "$QEMU" "${QEMU_ARGS[@]}" -no-reboot </dev/null >>"$WORK/qemu.log" 2>&1 &
                echo $! >"$WORK/qemu.pid"
                wait $! || exit
                [ -e "$WORK/stop" ] && exit
                echo "guest reset at $(( $(date +%s) - START )) s: QEMU started again on the same flash file" | tee -a "$WORK/qemu.log" >>"$WORK/restarts"
            done
        ) &
    else
        timeout "$TOTAL" "$QEMU" "${QEMU_ARGS[@]}" </dev/null >"$WORK/qemu.log" 2>&1 &
    fi
    QEMU_PID=$!
    echo "$NAME: booting $IMAGE (pid $QEMU_PID, http 127.0.0.1:$HTTP_PORT, serial socket://127.0.0.1:$SERIAL_PORT)"
    local boot
    boot=$(at_most 180)
    "$PYTHON" ci/qemu_check.py repl "$SERIAL_PORT" "$boot" \
        || fail "no MicroPython prompt on the serial within $boot s"
    echo "ok   the REPL answers on the serial"
}
