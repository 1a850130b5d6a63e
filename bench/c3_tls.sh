#!/usr/bin/env bash
# HTTPS on the emulated ESP32-C3: heap per TLS connection, how many fit,
# handshake time and requests/s, EC vs RSA (docs/https.md, "On an ESP32-C3"):
#   bench/c3_tls.sh IMAGE [ec] [rsa]      (IMAGE: make firmware BOARD_VARIANT=QEMU)
# Environment: as ci/qemu-test.sh (QEMU, VENV, QEMU_TEST_TIMEOUT per key type,
# QEMU_TEST_LOG); C3_TLS_OUT: where the figures go (default build/c3_tls.json,
# one JSON line per key type).
# For each key type, a fresh board (ci/qemu-lib.sh: flash, boot with -icount 3,
# REPL): a certificate made by the openssl command of docs/https.md (a new key
# each run, deleted with the run's directory), `make deploy` of
# bench/c3_tls_main.py with cert.pem and key.pem, then bench/c3_tls.py measures
# over the forwarded port.
# Exit status: 0 done; 1 a step failed; 2 usage; 77 skipped (no QEMU or image).
set -u
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: bench/c3_tls.sh IMAGE [ec] [rsa]"; exit 2; }
IMAGE=$1
shift
OUT=${C3_TLS_OUT:-build/c3_tls.json}
if [ -z "${C3_TLS_KIND:-}" ]; then  # one run of this script per key type
    for kind in ${*:-ec rsa}; do
        case $kind in ec | rsa) ;; *) echo "usage: bench/c3_tls.sh IMAGE [ec] [rsa]"; exit 2 ;; esac
    done
    mkdir -p "$(dirname "$OUT")" && : >"$OUT" || exit 1
    for kind in ${*:-ec rsa}; do
        C3_TLS_KIND=$kind "$0" "$IMAGE" || exit $?
    done
    echo "c3_tls: figures in $OUT"
    exit 0
fi
NAME="c3_tls $C3_TLS_KIND"
VARIANT=QEMU
. ci/qemu-lib.sh
qemu_preflight "$IMAGE"
command -v openssl >/dev/null 2>&1 || fail "openssl not found"
newkey="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
[ "$C3_TLS_KIND" = rsa ] && newkey="-newkey rsa:2048"
# shellcheck disable=SC2086  (newkey: several words)
openssl req -x509 $newkey -nodes -days 3650 -subj /CN=aiowebserver.local \
    -addext subjectAltName=DNS:aiowebserver.local,DNS:localhost,IP:127.0.0.1 \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >"$WORK/openssl.log" 2>&1 \
    || fail "openssl: $(tail -n 3 "$WORK/openssl.log")"

qemu_boot
cp bench/c3_tls_main.py "$WORK/main.py"
timeout "$(at_most 240)" make --no-print-directory deploy PORT="socket://127.0.0.1:$SERIAL_PORT" \
    DEPLOY_MAIN="$WORK/main.py" DEPLOY_ASSETS="$WORK/cert.pem $WORK/key.pem" MPREMOTE="$MPREMOTE" >"$WORK/deploy.log" 2>&1 \
    || fail "make deploy: $(tail -n 5 "$WORK/deploy.log")"
echo "ok   make deploy PORT=socket://127.0.0.1:$SERIAL_PORT"
timeout "$(left)" "$PYTHON" bench/c3_tls.py "$C3_TLS_KIND" "$HTTP_PORT" | tee "$WORK/bench.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || fail_end "bench/c3_tls.py"
tail -n 1 "$WORK/bench.log" >>"$OUT"
