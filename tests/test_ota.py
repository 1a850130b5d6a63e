"""Updates over the air: aiowebserver.ota on the unix port and CPython.

The app (tests/apps/ota_app.py) runs from the test's temporary directory
beside a stand-in `esp32` module (tests/ota_fakes.py) whose app slots are
files and whose set_boot() verifies an image as ESP-IDF does; the images are
built byte by byte here. The server and the runtime are real.
"""
import hashlib
import json
import os
import platform
import shutil
import socket
import struct
import subprocess
import time

from helpers import APPS, MICROPYTHON, MPY_CROSS, ROOT, read_response
from ota_fakes import SLOT_SIZE, app_image, write_standins

IMAGE_SIZE = 1_500_000  # about what a MicroPython ESP32-C3 app weighs


def start_ota_app(start_app, tmp_path, heap=None):
    """The OTA app; on the small-heap runtime at 96k unless told (the 64k test
    measures the upload alone: the error answers' modules need heap too)."""
    write_standins(str(tmp_path))
    if start_app.runtime == "mpy" and platform.machine() == "x86_64":
        # compiled like the package on this runtime (its viper checksum: native x64)
        subprocess.run([MPY_CROSS, "-march=x64", "-o", str(tmp_path / "esp32.mpy"), str(tmp_path / "esp32.py")], check=True)
        os.remove(str(tmp_path / "esp32.py"))
    shutil.copy(os.path.join(APPS, "ota_app.py"), str(tmp_path))
    if heap is None and start_app.runtime in ("mpy", "frozen"):
        heap = "96k"
    return start_app(str(tmp_path / "ota_app.py"), cwd=str(tmp_path), heap=heap)


def state(app):
    status, _, body = app.request("GET", "/state")
    assert status == 200, body
    return json.loads(body)


def upload(app, image, headers=None, path="/ota"):
    status, _, body = app.request("POST", path, body=image, headers=headers or {}, timeout=30)
    return status, body.decode()


def head_only(app, length, extra=b""):
    """A socket that sent an upload's head (and `extra` of its body), not the rest."""
    s = app.connect(10)
    s.sendall(b"POST /ota HTTP/1.1\r\nHost: board\r\nContent-Length: %d\r\n\r\n" % length + extra)
    return s


def merged_image(app):
    """What esptool merge-bin writes for a C3: a bootloader at 0x0 (an ESP image
    whose segment loads into RAM, no app description), the partition table at
    0x8000, the app at 0x10000."""
    boot = bytearray(app_image(20000, first_load=0x3FCD5820, hash_appended=False))
    boot[32:36] = b"\x50\x10\x00\x00"  # esp_bootloader_desc_t, not an app description
    out = bytes(boot).ljust(0x8000, b"\xff") + b"\xaa\x50\x01\x02" + bytes(28)
    return out.ljust(0x10000, b"\xff") + app


def test_an_update_is_written_verified_and_switched_only_when_whole_and_right(start_app, tmp_path):
    app = start_ota_app(start_app, tmp_path)
    image = app_image(IMAGE_SIZE)

    # not an image, another chip, a merged image: refused at the first block
    status, body = upload(app, b"PK\x03\x04" + os.urandom(100_000))  # a zip, say: no 0xE9 magic byte
    assert status == 400 and "not an ESP32 app image" in body, body
    status, body = upload(app, app_image(50_000, chip=9))  # an ESP32-S3 image
    assert status == 400 and "another chip (chip id 9, this board has 5)" in body, body
    status, body = upload(app, merged_image(image))
    assert status == 400 and "merged image" in body and "micropython.bin" in body, body
    assert state(app)["log"] == []  # set_boot() was never called

    # one flipped byte: written whole, then ESP-IDF's verification refuses it
    flipped = bytearray(image)
    flipped[700_000] ^= 0x01
    status, body = upload(app, bytes(flipped))
    assert status == 400 and "refused the image" in body and "boot app is unchanged" in body, body
    # the same with the client's SHA-256: refused by our own check, before set_boot
    status, body = upload(app, bytes(flipped), {"X-Sha256": hashlib.sha256(image).hexdigest()})
    assert status == 400 and "SHA-256 mismatch" in body, body
    status, body = upload(app, image[:1000], {"X-Sha256": "12" * 31})  # refused before the body is read
    assert status == 400 and "64 hex digits" in body
    st = state(app)
    assert st["log"] == ["refused: checksum mismatch"] and st["boot"] == "ota_0", st

    # too big for the slot: 413 before a byte of the body is read
    with head_only(app, SLOT_SIZE + 1) as s:
        status, _, body, _ = read_response(s)
    assert status == 413 and b"the app slot holds %d" % SLOT_SIZE in body, body
    st = state(app)
    blocks_before = st["heap"][0]

    # the right image, checked against the client's SHA-256 on the way
    status, body = upload(app, image, {"X-Sha256": hashlib.sha256(image).hexdigest()})
    assert status == 200 and json.loads(body) == {"written": len(image)}, body
    st = state(app)
    assert st["boot"] == "ota_1" and st["running"] == "ota_0" and st["log"][-1] == "boot ota_1", st
    count, first, low, high = st["heap"]
    assert count - blocks_before == (len(image) + 4095) // 4096  # 4 KB blocks, the last one padded
    with open(str(tmp_path / "ota_1.bin"), "rb") as f:
        assert f.read(len(image)) == image and f.read(4096 - len(image) % 4096) == b"\xff" * (4096 - len(image) % 4096)
    # the query parameter works as well as the header
    status, body = upload(app, image, path="/ota?sha256=" + hashlib.sha256(image).hexdigest())
    assert status == 200, body


def test_the_heap_stays_flat_while_1_5_mb_stream_in_at_a_64k_heap(runtime, start_app, tmp_path):
    if runtime != "mpy":
        return  # the heap is measured on the 64 KB runtime only
    app = start_ota_app(start_app, tmp_path, heap="64k")
    image = app_image(IMAGE_SIZE, seed=2)
    status, body = upload(app, image)
    assert status == 200, body
    count, first, low, high = state(app)["heap"]
    assert count == (len(image) + 4095) // 4096
    # gc.mem_alloc() after a collection at every one of the 367 blocks
    print("heap during the upload: first %d, lowest %d, highest %d bytes" % (first, low, high))
    assert high - low <= 256, (first, low, high)


def test_an_upload_cut_off_timed_out_or_doubled_never_switches_the_boot_app(runtime, start_app, tmp_path):
    if runtime != "mpy":
        return  # the board's case (.mpy, small heap); its 2 s timeout is waited for once
    app = start_ota_app(start_app, tmp_path)
    image = app_image(600_000, seed=3)

    def wait_busy(busy):
        deadline = time.monotonic() + 10
        while state(app)["busy"] != busy:  # polled over HTTP: the server runs on meanwhile
            assert time.monotonic() < deadline, "upload still %s" % ("idle" if busy else "running")

    # the client goes away half way
    with head_only(app, len(image), image[:300_000]):
        wait_busy(True)
    wait_busy(False)
    # a stalled upload holds the slot: a second one is 409 meanwhile
    stalled = head_only(app, len(image), image[:100_000])
    try:
        wait_busy(True)
        status, body = upload(app, image)
        assert status == 409 and "already running" in body, body
        # body_timeout (2 s) without progress: the server ends it
        stalled.settimeout(10)
        t0 = time.monotonic()
        end = stalled.recv(100)
        assert end == b"" or end.startswith(b"HTTP/1.1 408"), end
        assert time.monotonic() - t0 < 5
    finally:
        stalled.close()
    wait_busy(False)
    st = state(app)
    assert st["boot"] == "ota_0" and not [x for x in st["log"] if x.startswith("boot")], st
    # nothing is left locked: the next upload goes through
    status, body = upload(app, image)
    assert status == 200, body
    assert state(app)["boot"] == "ota_1"


def test_ota_on_a_port_without_esp32_says_so(tmp_path):
    code = (
        "from aiowebserver import ota\n"
        "print(ota.supported())\n"
        "try:\n ota.confirm()\nexcept RuntimeError as e:\n print(e)\n"
    )
    out = subprocess.run([MICROPYTHON, "-c", code], cwd=str(tmp_path), env=dict(os.environ, MICROPYPATH=ROOT),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20).stdout.decode()
    assert out.split("\n")[:2] == ["False", "ota: this port has no esp32.Partition: OTA updates need an ESP32 board"], out


def test_confirm_on_an_image_without_ota_slots_is_a_no_op(tmp_path):
    # The QEMU image (and any firmware without OTA slots) has no otadata partition:
    # ESP-IDF's esp_ota_mark_app_valid_cancel_rollback() returns ESP_ERR_NOT_FOUND,
    # MicroPython raises OSError(-261). The device template calls device.confirm()
    # once it serves; that must not stop the server. Other errors still raise.
    (tmp_path / "esp32.py").write_text(
        "ERR = [-261]\n"
        "class Partition:\n"
        "    RUNNING = 0\n"
        "    def __init__(self, which):\n"
        "        pass\n"
        "    def info(self):\n"
        "        return (0, 0, 0x10000, 0x1f0000, 'factory', False)\n"
        "    @staticmethod\n"
        "    def mark_app_valid_cancel_rollback():\n"
        "        raise OSError(ERR[0], 'ESP_ERR_NOT_FOUND')\n")
    code = (
        "import esp32\n"
        "from aiowebserver import ota, device\n"
        "print(ota.confirm(), device.confirm())\n"
        "esp32.ERR[0] = -5379\n"
        "try:\n ota.confirm()\nexcept OSError as e:\n print('raised', e.args[0])\n"
    )
    out = subprocess.run([MICROPYTHON, "-c", code], cwd=str(tmp_path),
                         env=dict(os.environ, MICROPYPATH=str(tmp_path) + os.pathsep + ROOT),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20).stdout.decode()
    assert out.split("\n")[:2] == ["False None", "raised -5379"], out


def otadata_entry(seq, state, crc=None):
    """esp_ota_select_entry_t as ESP-IDF writes it at the start of an otadata sector."""
    import zlib

    raw = struct.pack("<I", seq)
    crc = zlib.crc32(raw, 0xFFFFFFFF) if crc is None else crc  # esp_rom_crc32_le(UINT32_MAX, &seq, 4)
    return raw + b"\xff" * 20 + struct.pack("<II", state, crc)


def test_the_running_apps_state_is_read_from_otadata_as_esp_idf_does(tmp_path):
    # The entries the emulated C3 (ci/qemu-ota-test.sh) held after its second
    # update: ota_0 (seq 3) new and unconfirmed, ota_1 (seq 2) confirmed; then
    # the reset that rolled ota_0 back (aborted). A torn entry (bad CRC) is
    # ignored, as ESP-IDF does; an erased otadata (a board flashed over USB
    # before ESP-IDF wrote it) has no entry.
    assert otadata_entry(3, 1)[28:] == bytes.fromhex("11504aed")  # as read from the emulator's flash
    (tmp_path / "esp32.py").write_text(
        "SECTORS = [b'', b'']\n"
        "RUN = ['ota_0']\n"
        "class Partition:\n"
        "    RUNNING = 1\n"
        "    TYPE_APP = 0\n"
        "    TYPE_DATA = 1\n"
        "    def __init__(self, label):\n"
        "        self.label = RUN[0] if label == 1 else label\n"
        "    def info(self):\n"
        "        sub = {'ota_0': 16, 'ota_1': 17, 'factory': 0}.get(self.label, 0)\n"
        "        return (0, sub, 0, 0x1c0000, self.label, False)\n"
        "    @staticmethod\n"
        "    def find(type, label=None):\n"
        "        if type == Partition.TYPE_APP:\n"
        "            return [Partition('ota_0'), Partition('ota_1')]\n"
        "        return [Partition('otadata')] if label == 'otadata' else []\n"
        "    def readblocks(self, block, buf):\n"
        "        buf[:] = SECTORS[block][:len(buf)]\n")
    sectors = [
        ("pending", otadata_entry(3, 1), otadata_entry(2, 2)),
        ("aborted", otadata_entry(3, 4), otadata_entry(2, 2)),
        ("torn", otadata_entry(3, 1, crc=0x12345678), otadata_entry(2, 2)),
        ("erased", b"\xff" * 32, b"\xff" * 32),
    ]
    code = "import esp32\nfrom aiowebserver import ota\n"
    for name, first, second in sectors:
        code += "esp32.SECTORS[:] = [%r, %r]\n" % (first, second)
        code += "for slot in ('ota_0', 'ota_1', 'factory'):\n esp32.RUN[0] = slot\n print(%r, slot, ota.state())\n" % name
    out = subprocess.run([MICROPYTHON, "-c", code], cwd=str(tmp_path),
                         env=dict(os.environ, MICROPYPATH=str(tmp_path) + os.pathsep + ROOT),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20).stdout.decode()
    assert out.split() == [
        "pending", "ota_0", "pending_verify", "pending", "ota_1", "valid", "pending", "factory", "None",
        "aborted", "ota_0", "aborted", "aborted", "ota_1", "valid", "aborted", "factory", "None",
        "torn", "ota_0", "None", "torn", "ota_1", "valid", "torn", "factory", "None",
        "erased", "ota_0", "None", "erased", "ota_1", "None", "erased", "factory", "None",
    ], out


def test_a_bootloader_image_is_recognised_by_its_first_segment():
    from aiowebserver import ota  # noqa: E402  (CPython: the checks are pure functions)
    from aiowebserver.http import HttpError

    assert ota.chip_id("Generic ESP32C3 module with ESP32C3") == 5
    assert ota.chip_id("ESP32S3 module with ESP32S3") == 9
    assert ota.chip_id("linux [GCC 14.2.1] version") is None
    head = bytearray(app_image(100, first_load=0x3FCD5820, hash_appended=False)[:64])
    head[32:36] = b"\x50\x10\x00\x00"
    try:
        ota.check_header(head)
    except HttpError as e:
        assert e.status == 400 and "merged" in e.reason
    else:
        raise AssertionError("a bootloader image was taken")
    ota.check_header(app_image(100)[:64])  # an app image passes
    assert struct.unpack("<I", app_image(100)[32:36])[0] == 0xABCD5432
