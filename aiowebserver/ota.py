# Firmware updates over the air (ESP32): `n = await ota.receive(rq)` streams a
# request body into the next OTA app slot, checks it on the way, and switches
# the boot slot only once the whole image is in and ESP-IDF has verified it;
# `ota.confirm()` once the new app serves cancels the bootloader's rollback.
# Loaded on first use: `from aiowebserver import ota`. Guide: docs/ota.md
import sys
from .http import HttpError

try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

_MPY = sys.implementation.name == "micropython"
BLOCK = const(4096)  # flash erase sector: one writeblocks() per block
_MAGIC = const(0xE9)  # first byte of an ESP image
_HEAD = const(36)  # image header (24) + first segment header (8) + app description magic (4)
_NOT_FOUND = const(-261)  # ESP_ERR_NOT_FOUND: no otadata partition (an image without OTA slots)
_APP_MAGIC = b"\x32\x54\xcd\xab"  # esp_app_desc_t.magic_word: where an app's first segment begins
# esp_chip_id_t of the image's extended header, by the chip name MicroPython reports
_CHIPS = " ESP32=0 ESP32S2=2 ESP32C3=5 ESP32S3=9 ESP32C2=12 ESP32C6=13 ESP32H2=16 ESP32P4=18 "
CHIP = None  # the chip id images must carry; None: this board's (from sys.implementation._machine)
SEND_APP = "send the app image (micropython.bin, or firmware/*-app.bin from make firmware), not the merged image"

_state = {"busy": False}


def _esp32():
    try:
        import esp32

        esp32.Partition  # noqa: B018  (AttributeError on ports without it)
        return esp32
    except (ImportError, AttributeError):
        raise RuntimeError("ota: this port has no esp32.Partition: OTA updates need an ESP32 board")


def supported():
    # True on a port with esp32.Partition (an ESP32 firmware, or the tests' stand-in).
    try:
        _esp32()
        return True
    except RuntimeError:
        return False


# The one block buffer, taken when the module loads (the template imports it at
# start to confirm()): 4 KB in one piece may be hard to find in a small heap later.
_buf = bytearray(BLOCK)


def confirm():
    # The running app works: the bootloader will not roll it back at the next reset.
    # True when confirmed; False on an image without OTA slots (no otadata
    # partition, e.g. the QEMU image's factory app): there is nothing to roll back.
    try:
        _esp32().Partition.mark_app_valid_cancel_rollback()
    except OSError as e:
        if e.args[0] != _NOT_FOUND:
            raise
        return False
    return True


def running():
    # Label of the app slot this firmware runs from ('ota_0', 'ota_1', 'factory').
    p = _esp32().Partition
    return p(p.RUNNING).info()[4]


# esp_ota_img_states_t, in order (0xFFFFFFFF, ESP_OTA_IMG_UNDEFINED: "undefined")
_STATES = ("new", "pending_verify", "valid", "invalid", "aborted")


def state():
    # The running app's state in the otadata partition, read as ESP-IDF's
    # esp_ota_get_state_partition() does: 'valid' (confirmed, or the app
    # flashed over USB), 'pending_verify' (a new app not confirmed yet: the
    # bootloader rolls it back at the next reset), ...; None when otadata has
    # no entry for it (a factory app, an image without OTA slots).
    p = _esp32().Partition
    found = p.find(p.TYPE_DATA, label="otadata")
    slot = p(p.RUNNING).info()[1] - 16  # ESP_PARTITION_SUBTYPE_APP_OTA_0 = 16
    if not found or not 0 <= slot < 16:
        return None
    count = 0  # app slots: an entry's sequence number picks one of them
    for app in p.find(p.TYPE_APP):
        if 16 <= app.info()[1] < 32:
            count += 1
    from binascii import crc32

    entry = bytearray(32)  # esp_ota_select_entry_t at the start of each of otadata's two sectors
    for sector in (0, 1):
        found[0].readblocks(sector, entry)
        seq = int.from_bytes(entry[0:4], "little")
        if seq == 0xFFFFFFFF or not count or (seq - 1) % count != slot:
            continue
        if crc32(entry[0:4], 0xFFFFFFFF) != int.from_bytes(entry[28:32], "little"):
            continue  # a torn write: ESP-IDF ignores this entry too
        n = int.from_bytes(entry[24:28], "little")
        return _STATES[n] if n < len(_STATES) else "undefined"
    return None


def chip_id(machine=None):
    # esp_chip_id_t of this board ("... with ESP32C3" -> 5), or None when unknown.
    if CHIP is not None:
        return CHIP
    if machine is None:
        machine = getattr(sys.implementation, "_machine", "")
    i = _CHIPS.find(" %s=" % machine.rsplit(" ", 1)[-1].upper().replace("-", ""))
    return None if i < 0 else int(_CHIPS[_CHIPS.find("=", i) + 1 : _CHIPS.find(" ", i + 1)])


def check_header(b):
    # Refuse (HttpError 400) what is not an app image for this chip: the first
    # _HEAD bytes of the body are enough.
    if b[0] != _MAGIC:
        raise HttpError(400, "not an ESP32 app image (no 0xE9 magic byte): " + SEND_APP)
    chip = b[12] | (b[13] << 8)
    want = chip_id()
    if want is not None and chip != want:
        raise HttpError(400, "an image for another chip (chip id %d, this board has %d)" % (chip, want))
    if bytes(b[32:36]) != _APP_MAGIC:
        # a bootloader's first segment holds no app description: this is the
        # start of a merged image (bootloader at 0x0), which does not boot from a slot
        raise HttpError(400, "a bootloader or merged image: " + SEND_APP)


def _want_sha256(rq):
    # The SHA-256 the client sent (header X-Sha256, or query sha256=...), as 32 bytes or None.
    text = rq.headers.get("x-sha256")
    if text is None and rq.query:
        for kv in rq.query.split("&"):
            if kv[:7] == "sha256=":
                text = kv[7:]
    if text is None:
        return None
    from binascii import unhexlify

    try:
        if len(text) != 64:
            raise ValueError
        return unhexlify(text)
    except ValueError:
        raise HttpError(400, "X-Sha256 must be 64 hex digits")


async def _read_into(rq, mv, want):
    # Exactly `want` body bytes into mv[0:want], without allocating a buffer:
    # first what the head buffer holds, then straight from the socket.
    got = rq._end - rq._start
    if got:
        if got > want:
            got = want
        mv[:got] = rq._mv[rq._start : rq._start + got]
        rq._start += got
    while got < want:
        rq._deadline = rq._body_deadline()
        if _MPY:
            n = await rq._reader.readinto(mv[got:want])
            if n is None:
                n = -1  # nothing yet: wait again
        else:
            data = await rq._reader.read(want - got)
            n = len(data)
            mv[got : got + n] = data
        rq._deadline = None
        if n == 0:
            rq._close = True
            raise OSError("client closed the connection mid-body")
        if n > 0:
            got += n
    rq._left -= want
    rq._total += want


async def _drain(rq, mv):
    # Read and drop the rest of a refused body (at most a slot's size).
    while rq._left > 0:
        await _read_into(rq, mv, rq._left if rq._left < BLOCK else BLOCK)


async def receive(rq):
    # Stream the request body (an app image) into the next OTA slot; set it as
    # the boot slot once complete and verified. Returns the bytes written; the
    # board boots the new app at its next reset (it does not reset itself).
    if _state["busy"]:
        raise HttpError(409, "an update is already running")
    try:
        esp32 = _esp32()
    except RuntimeError as e:
        raise HttpError(501, str(e))
    try:
        slot = esp32.Partition(esp32.Partition.RUNNING).get_next_update()
    except OSError:
        raise HttpError(501, "this firmware has no second app slot: flash an OTA variant over USB (docs/ota.md)")
    size = slot.info()[3]
    n = rq._left
    if n < 0:
        raise HttpError(411, "send the image with a Content-Length")
    if n > size:
        rq._close = True  # the body is not read
        raise HttpError(413, "image of %d bytes, the app slot holds %d" % (n, size))
    if n < _HEAD:
        raise HttpError(400, "image too short: " + SEND_APP)
    want = _want_sha256(rq)
    _state["busy"] = True
    try:
        if rq._expect:  # curl sends big bodies after a 100 Continue
            rq._expect = False
            rq._writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            await rq._drain()
        buf = _buf
        mv = memoryview(buf)
        if want is not None:
            from hashlib import sha256

            h = sha256()
        done = 0
        block = 0
        while done < n:
            k = n - done
            if k > BLOCK:
                k = BLOCK
            await _read_into(rq, mv, k)
            if block == 0:
                try:
                    check_header(buf)  # before anything is written
                except HttpError:
                    await _drain(rq, mv)  # so that the client reads the answer
                    raise
            if want is not None:
                h.update(mv[:k])
            while k < BLOCK:  # the last block: erased flash reads 0xFF
                buf[k] = 0xFF
                k += 1
            slot.writeblocks(block, buf)
            block += 1
            done += BLOCK
        if want is not None and h.digest() != want:
            raise HttpError(400, "SHA-256 mismatch: the image changed on the way; nothing was switched")
        try:
            slot.set_boot()  # ESP-IDF verifies the image here
        except OSError as e:
            raise HttpError(400, "ESP-IDF refused the image (%s): corrupt or not for this board; the boot app is unchanged" % e)
        return n
    finally:
        _state["busy"] = False
