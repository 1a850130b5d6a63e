"""Stand-ins for the OTA tests: an `esp32` module with file-backed app slots,
and ESP32 app images built here byte by byte.

FAKE_ESP32 follows MicroPython's documented esp32.Partition API (RUNNING,
BOOT, get_next_update, info, readblocks, writeblocks erasing whole 4 KB
blocks, ioctl, set_boot, mark_app_valid_cancel_rollback) and verifies an image
in set_boot() the way ESP-IDF's esp_image_verify does (esp_image_format.h):
magic 0xE9, at most 16 segments that fit in the slot, the chip id of the
extended header, the XOR checksum (seed 0xEF) in the last byte of a 16-byte
aligned block after the segments, and the appended SHA-256 of everything
before it when hash_appended is set (in a process of its own, esp32_verify.py:
on the board that is C code, outside the Python heap). A refused image raises OSError and the
boot slot stays as it was. State lives in files of the process's current
directory (ota_0.bin, ota_1.bin, otadata.txt), so a restarted process is a
rebooted board: it runs the slot that was set to boot.
"""
import hashlib
import os
import struct

SLOT_SIZE = 0x1C0000  # boards/ESP32_GENERIC_C3/partitions-ota.csv: 1.75 MiB per app slot
C3 = 5  # esp_chip_id_t of the ESP32-C3

FAKE_ESP32 = r'''
import gc
import os
import sys

SLOT_SIZE = %d
CHIP = %d
_MPY = sys.implementation.name == "micropython"
heap = [0, 0, 0, 0]  # writeblocks() calls; gc.mem_alloc() after a collection at the first, lowest, highest
log = []


def _state():
    try:
        with open("otadata.txt") as f:
            boot, valid = f.read().split()
    except OSError:
        boot, valid = "ota_0", "valid"
    return boot, valid


def _write_state(boot, valid):
    with open("otadata.txt.tmp", "w") as f:
        f.write("%%s %%s" %% (boot, valid))
    os.rename("otadata.txt.tmp", "otadata.txt")


_running, _valid = _state()
if _valid == "pending":  # booted once unconfirmed: the bootloader rolls back now
    _running = "ota_1" if _running == "ota_0" else "ota_0"
    _write_state(_running, "valid")
    log.append("rolled back")
elif _valid == "new":  # first boot of a new app: pending until confirmed
    _write_state(_running, "pending")


class Partition:
    BOOT = 0
    RUNNING = 1
    TYPE_APP = 0
    TYPE_DATA = 1

    def __init__(self, id, block_size=4096):
        if id == Partition.RUNNING:
            id = _running
        elif id == Partition.BOOT:
            id = _state()[0]
        self.label = id
        self.path = id + ".bin"
        self.block_size = block_size
        if not _exists(self.path):
            with open(self.path, "wb") as f:
                f.seek(SLOT_SIZE - 1)
                f.write(b"\xff")

    def info(self):
        return (0, 16 + int(self.label[-1]), 0x10000 + 0x180000 * int(self.label[-1]), SLOT_SIZE, self.label, False)

    def get_next_update(self):
        return Partition("ota_1" if self.label == "ota_0" else "ota_0")

    def readblocks(self, block, buf, offset=0):
        with open(self.path, "rb") as f:
            f.seek(block * self.block_size + offset)
            f.readinto(buf)

    def writeblocks(self, block, buf, offset=None):
        if offset is None and len(buf) %% 4096:
            raise OSError(22)  # esp_partition_erase_range: whole sectors only
        addr = block * self.block_size + (offset or 0)
        if addr + len(buf) > SLOT_SIZE:
            raise OSError(22)
        with open(self.path, "r+b") as f:
            f.seek(addr)
            f.write(buf)
        used = 0
        if _MPY:  # (CPython's collection takes ms)
            gc.collect()
            used = gc.mem_alloc()
        if heap[0] == 0:
            heap[1] = heap[2] = heap[3] = used
        heap[0] += 1
        heap[2] = min(heap[2], used)
        heap[3] = max(heap[3], used)

    def ioctl(self, op, arg):
        if op == 4:
            return SLOT_SIZE // self.block_size
        if op == 5:
            return self.block_size
        return 0

    def set_boot(self):
        # ESP-IDF verifies in C, outside the Python heap: here a process of its own
        code = os.system('"%%s" esp32_verify.py %%s > verify.txt' %% (sys.executable, self.path))
        with open("verify.txt") as f:
            why = None if code == 0 else f.read().strip() or "verifier failed"
        if why:
            log.append("refused: " + why)
            raise OSError(-5379)  # ESP_ERR_OTA_VALIDATE_FAILED
        _write_state(self.label, "new")
        log.append("boot " + self.label)

    @staticmethod
    def mark_app_valid_cancel_rollback():
        boot, valid = _state()
        if boot == _running:
            _write_state(boot, "valid")
        log.append("confirmed")


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


''' % (SLOT_SIZE, C3)


# esp32_verify.py: esp_image_verify() in a process of its own (the stand-in's
# set_boot runs it): exit status 0 when the image is good, else prints why.
VERIFY = r'''
import hashlib
import sys

SLOT_SIZE = %d
CHIP = %d
_MPY = sys.implementation.name == "micropython"

if _MPY:
    import micropython

    @micropython.viper
    def _xor(buf, n: int, x: int) -> int:
        p = ptr8(buf)
        i = 0
        while i < n:
            x ^= p[i]
            i += 1
        return x
else:
    def _xor(buf, n, x):
        for b in bytes(buf[:n]):
            x ^= b
        return x


import hashlib

# taken at import: set_boot() must not need free heap in one piece (at 64k)
_vbuf = bytearray(512)
_vmv = memoryview(_vbuf)
_v = [None, None, 0]  # file, sha256, xor


def _take(n, xor=False, hashed=True):
    # n bytes of the image: hashed, XORed into the checksum; returns the first 512
    f = _v[0]
    left = n
    first = None
    while left:
        k = f.readinto(_vmv[: min(left, 512)])
        if not k:
            return None
        if hashed:
            _v[1].update(_vmv[:k])
        if xor:
            _v[2] = _xor(_vbuf, k, _v[2])
        if first is None:
            first = bytes(_vmv[:k])
        left -= k
    return first


def _verify(path):
    # esp_image_verify(): None when the image is good, else why not
    with open(path, "rb") as f:
        _v[0] = f
        _v[1] = hashlib.sha256()
        _v[2] = 0xEF
        head = _take(24)
        if head[0] != 0xE9:
            return "bad magic"
        count = head[1]
        if count == 0 or count > 16:
            return "bad segment count"
        if head[12] | (head[13] << 8) != CHIP:
            return "wrong chip id"
        pos = 24
        for _ in range(count):
            seg = _take(8)
            n = seg[4] | (seg[5] << 8) | (seg[6] << 16) | (seg[7] << 24)
            pos += 8 + n
            if pos > SLOT_SIZE:
                return "segment past the end of the slot"
            _take(n, True)
        pad = 15 - (pos %% 16)
        if pad:
            _take(pad)
        if _take(1)[0] != _v[2]:
            return "checksum mismatch"
        if head[23] == 1 and _take(32, hashed=False) != _v[1].digest():
            return "SHA-256 mismatch"
    return None


why = _verify(sys.argv[1])
if why:
    print(why)
    sys.exit(1)
''' % (SLOT_SIZE, C3)


def app_image(size, chip=C3, hash_appended=True, seed=1, first_load=0x3C000020):
    """An ESP32 app image of about `size` bytes: header, app description in segment 0, checksum, SHA-256."""
    desc = struct.pack("<I", 0xABCD5432) + bytes(12) + b"v9.9-test".ljust(32, b"\0") + b"micropython".ljust(32, b"\0")
    desc += b"00:00:00".ljust(16, b"\0") + b"Jan  1 2026".ljust(16, b"\0") + b"v5.5.1".ljust(32, b"\0")
    desc += hashlib.sha256(b"elf%d" % seed).digest() + bytes(256 - 144 - 32)
    body_left = max(size - 24 - 8 - len(desc) - 64, 0)
    segments = [(first_load, desc)]
    chunk = 65536
    n = 0
    while body_left > 0:
        k = min(chunk, body_left)
        data = hashlib.sha256(b"%d-%d" % (seed, n)).digest() * (k // 32 + 1)
        segments.append((0x42000020 + n * chunk, data[:k] if k > 8 else data[:16]))
        body_left -= 8 + k
        n += 1
    if len(segments) > 16:  # merge into at most 16 segments
        merged = segments[1:]
        per = (len(merged) + 14) // 15
        segments = [segments[0]] + [(merged[i][0], b"".join(d for _, d in merged[i:i + per]))
                                    for i in range(0, len(merged), per)]
    head = bytes([0xE9, len(segments), 2, 0x2F]) + struct.pack("<I", 0x40380000)
    ext = bytes([0xEE, 0, 0, 0]) + struct.pack("<HBHH", chip, 0, 0, 0xFFFF) + bytes(4) + bytes([1 if hash_appended else 0])
    out = bytearray(head + ext)
    xor = 0xEF
    for load, data in segments:
        out += struct.pack("<II", load, len(data)) + data
        xor ^= _xor_all(data)
    out += bytes(15 - len(out) % 16) + bytes([xor])
    if hash_appended:
        out += hashlib.sha256(bytes(out)).digest()
    return bytes(out)


def _xor_all(data):
    if not data:
        return 0
    x = int.from_bytes(data, "little")
    width = len(data)
    while width > 1:  # fold halves together: the XOR of all bytes ends in the low byte
        half = (width + 1) // 2
        x = (x & ((1 << (8 * half)) - 1)) ^ (x >> (8 * half))
        width = half
    return x & 0xFF


def write_standins(directory):
    with open(os.path.join(directory, "esp32.py"), "w") as f:
        f.write(FAKE_ESP32)
    with open(os.path.join(directory, "esp32_verify.py"), "w") as f:
        f.write(VERIFY)
