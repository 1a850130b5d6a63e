"""Host side of ci/qemu-ota-test.sh (Python 3 standard library only): looks at
the emulated board through its device endpoints (the project's own client,
tools/ota_client.py) and at the bootloader's record in the flash file QEMU
writes through (the otadata partition).

  qemu_ota_check.py expect STEP PORT FLASH SLOT STATE [SERIAL_LOG LINE]
      the board serves; its device JSON says SLOT (and STATE, when the firmware
      reports slot_state); otadata in FLASH gives SLOT's entry the state STATE;
      with SERIAL_LOG: LINE is in it
  qemu_ota_check.py refused STEP PORT FLASH APP MERGED
      uploads that must be refused: garbage, the merged image, the app image
      with one byte flipped (only ESP-IDF's verification in set_boot() sees
      it); each a 400, and the boot slot in otadata is unchanged
  qemu_ota_check.py restart STEP PORT
      POST /device/restart (admin password from $ADMIN_PASSWORD), then waits
      until the board has reset and serves again
  qemu_ota_check.py tail SERIAL_PORT FILE
      copies the emulated serial into FILE, from each QEMU in turn, until killed

Each prints one line, "ok   STEP: ..." or "FAIL STEP: ...", exit status 0 / 1.
"""
import os
import socket
import struct
import sys
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import ota_client  # noqa: E402  (the client make ota and make deploy HOST= run)

STATES = {0: "new", 1: "pending_verify", 2: "valid", 3: "invalid", 4: "aborted", 0xFFFFFFFF: "undefined"}
SERVE_WITHIN_S = 120  # host seconds for a (re)booted board to serve


def partitions(flash):
    """{label: (type, subtype, offset, size)} from the table at 0x8000."""
    out = {}
    for i in range(0x8000, 0x8C00, 32):
        e = flash[i:i + 32]
        if e[:2] != b"\xaa\x50":
            break
        out[e[12:28].rstrip(b"\0").decode()] = (e[2], e[3], *struct.unpack("<II", e[4:12]))
    return out


def otadata(path):
    """The valid esp_ota_select_entry_t entries: [(seq, slot label, state)],
    and the label of the slot whose entry has the highest seq (what boots)."""
    with open(path, "rb") as f:
        flash = f.read()
    table = partitions(flash)
    apps = sorted((sub, label) for label, (typ, sub, _, _) in table.items() if typ == 0 and 16 <= sub < 32)
    entries = []
    if "otadata" in table and apps:
        base = table["otadata"][2]
        for sector in (0, 1):
            e = flash[base + 4096 * sector:base + 4096 * sector + 32]
            seq, state, crc = struct.unpack("<I", e[:4])[0], *struct.unpack("<II", e[24:32])
            if seq != 0xFFFFFFFF and crc == zlib.crc32(e[:4], 0xFFFFFFFF):
                entries.append((seq, apps[(seq - 1) % len(apps)][1], STATES.get(state, str(state))))
    newest = max(entries)[1] if entries else None
    return entries, newest


def slot_state(entries, slot):
    # as esp_ota_get_state_partition(): the first valid entry for the slot
    for _, label, state in entries:
        if label == slot:
            return state
    return None


def describe_otadata(entries):
    return ", ".join("%s %s (seq %d)" % (label, state, seq) for seq, label, state in sorted(entries, reverse=True)) or "empty"


def serving(host):
    """The device JSON once the board serves it (None after SERVE_WITHIN_S)."""
    deadline = time.monotonic() + SERVE_WITHIN_S
    while time.monotonic() < deadline:
        try:
            return ota_client.status(host)
        except (ota_client.Failure, ValueError):
            time.sleep(1)  # polling a booting board
    return None


def in_log(path, line, seconds=10):
    # the board printed it before it answered; the serial copy may lag a little
    deadline = time.monotonic() + seconds
    while True:
        with open(path, "rb") as f:
            if line.encode() in f.read():
                return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)  # polling a log file


def report(step, ok, detail):
    print("%s %s: %s" % ("ok  " if ok else "FAIL", step, detail), flush=True)
    return 0 if ok else 1


def expect(step, host, flash, slot, state, serial_log=None, line=None):
    info = serving(host)
    if info is None:
        return report(step, False, "the board does not serve /device/status.json within %d s" % SERVE_WITHIN_S)
    entries, _ = otadata(flash)
    on_disk = slot_state(entries, slot)
    reported = info.get("slot_state", "not reported by this firmware")
    problems = []
    if info.get("slot") != slot:
        problems.append("device JSON slot %s, want %s" % (info.get("slot"), slot))
    if "slot_state" in info and reported != state:
        problems.append("device JSON slot_state %s, want %s" % (reported, state))
    if on_disk != state:
        problems.append("otadata gives %s %s, want %s" % (slot, on_disk, state))
    if serial_log and line and not in_log(serial_log, line):
        problems.append("no %r on the serial" % line)
    detail = "device JSON: slot %s, slot_state %s, %s, uptime %s s; otadata: %s" % (
        info.get("slot"), reported, info.get("firmware"), info.get("uptime_s"), describe_otadata(entries))
    if line and not problems:
        detail += "; serial: %r" % line
    return report(step, not problems, "; ".join(problems + [detail]) if problems else detail)


def post(host, path, body, sha=None):
    headers = dict(ota_client._auth_headers(), **{"Content-Type": "application/octet-stream"})
    if sha:
        headers["X-Sha256"] = sha
    code, _, answer = ota_client.request(host, "POST", path, body, headers, timeout=180)
    return code, answer.decode("utf-8", "replace").strip()


def refused(step, host, flash, app_path, merged_path):
    before = serving(host)
    if before is None:
        return report(step, False, "the board does not serve")
    entries_before, boot_before = otadata(flash)
    with open(app_path, "rb") as f:
        app = bytearray(f.read())
    with open(merged_path, "rb") as f:
        merged = f.read(128 * 1024)  # refused at the first block: its beginning is enough
    app[len(app) // 2] ^= 0x01  # one flipped bit in the middle: only the checksum / SHA-256 see it
    garbage = bytes([0x50]) + os.urandom(64 * 1024 - 1)
    problems, seen = [], []
    for name, body, want in (("garbage", garbage, "not an ESP32 app image"),
                             ("the merged image", merged, "merged image"),
                             ("the app image with one bit flipped", bytes(app), "ESP-IDF refused the image")):
        t0 = time.monotonic()
        code, text = post(host, "/device/firmware?restart=0", body)
        seen.append("%s %d in %.1f s" % (name, code, time.monotonic() - t0))
        if code != 400 or want not in text:
            problems.append("%s: %d %r, want 400 %r" % (name, code, text[:120], want))
    after = serving(host)
    entries_after, boot_after = otadata(flash)
    if entries_after != entries_before or boot_after != boot_before:
        problems.append("otadata changed: %s -> %s" % (describe_otadata(entries_before), describe_otadata(entries_after)))
    if after is None or after.get("slot") != before.get("slot") or after.get("uptime_s", 0) < before.get("uptime_s", 0):
        problems.append("the board restarted or changed slot: %s" % after)
    detail = "%s; boot slot still %s (otadata: %s)" % (", ".join(seen), boot_after, describe_otadata(entries_after))
    return report(step, not problems, "; ".join(problems) if problems else detail)


def restart(step, host):
    before = serving(host)
    if before is None:
        return report(step, False, "the board does not serve")
    code, text = post(host, "/device/restart", b"")
    if code != 200:
        return report(step, False, "POST /device/restart: %d %s" % (code, text))
    t0 = time.monotonic()
    try:
        info = ota_client.wait_back(host, before, t0, False)
    except ota_client.Failure as e:
        return report(step, False, str(e))
    return report(step, True, "POST /device/restart: 200; serving again after %.1f s (uptime %s s, slot %s)" % (
        time.monotonic() - t0, info.get("uptime_s"), info.get("slot")))


def tail(port, path):
    # Every boot's output (ROM, bootloader, main.py), connecting again when a
    # new QEMU listens after a guest reset; ends when the script kills it
    with open(path, "ab") as out:
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                    s.settimeout(None)
                    while True:
                        data = s.recv(4096)
                        if not data:
                            break
                        out.write(data)
                        out.flush()
            except OSError:
                time.sleep(0.1)  # no QEMU listening yet: poll


def main(argv):
    what = argv[0] if argv else ""
    try:
        if what == "tail" and len(argv) == 3:
            return tail(int(argv[1]), argv[2])
        run = {"expect": (expect, (6, 8)), "refused": (refused, (6,)), "restart": (restart, (3,))}.get(what)
        if run and len(argv) in run[1]:
            return run[0](argv[1], "127.0.0.1:" + argv[2], *argv[3:])
    except (ota_client.Failure, OSError, ValueError) as e:
        return report(argv[1] if what != "tail" else "serial", False, "%s: %s" % (type(e).__name__, e))
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
