# The device page and its endpoints: live status (SSE), Wi-Fi settings,
# firmware updates (ota), files (main.py...), restart. Loaded on first use:
#   from aiowebserver import device
#   device.routes()            # under /device; guide: docs/ota.md
# Updates, files, Wi-Fi, the password and restart need the admin password
# (HTTP Basic, any user name), whose SHA-256 is the key "admin_sha256" of
# wifi.json: set over USB (make deploy) or on the setup page, changed here
# only with the current one. Pages of other sites cannot use them (CSRF):
# admin() refuses what the browser says comes from elsewhere (csrf.py).
import gc
import json
import os
import sys
import time
from .http import HttpError
from .router import route

try:
    from time import ticks_ms, ticks_add, ticks_diff
except ImportError:  # CPython
    from .clock import ticks_ms, ticks_add, ticks_diff

try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

CONFIG = "wifi.json"  # the board's one config file (also read by the template and the portal)
FAILS = const(5)  # failed passwords from one address within WINDOW_MS: 429 for WINDOW_MS
WINDOW_MS = const(60000)
_ADDRESSES = const(16)  # addresses whose failures are remembered
MAX_FILE = const(1 << 20)  # bytes of one uploaded file
_CONFIG_MAX = const(2048)  # bytes of wifi.json read
_NO_PASSWORD = "no admin password set: make deploy PORT=... ADMIN_PASSWORD=... (over USB), or the setup page"
_CROSS_SITE = "cross-site request refused: use this board's own page (or make ota, make deploy, curl)"
_T0 = time.time()
_seen = {}  # address -> [failures, ticks of the first, ticks blocked until or None]
_state = {"status": None, "firmware": None}


# ---- the config file ----


def read_config():
    # wifi.json as a dict; {} when it is missing or malformed. Read at its
    # size (at most 2 KB): a fragmented heap may have no free 2 KB block.
    try:
        with open(CONFIG) as f:
            cfg = json.loads(f.read(min(os.stat(CONFIG)[6], _CONFIG_MAX)))
        return cfg if isinstance(cfg, dict) else {}
    except (OSError, ValueError):
        return {}


def write_config(cfg):
    # Written to a temporary file, then renamed: a power cut leaves the old or the new file.
    _write_whole(CONFIG, json.dumps(cfg).encode())


def _write_whole(name, data):
    with open(name + ".tmp", "wb") as f:
        f.write(data)
    _replace(name + ".tmp", name)


def _replace(tmp, name):
    try:
        os.rename(tmp, name)
    except OSError:  # a filesystem whose rename does not replace
        try:
            os.remove(name)
        except OSError:
            pass
        os.rename(tmp, name)


def password_hash(password):
    # What wifi.json keeps instead of the admin password: the hex SHA-256 of
    # its UTF-8 (str, or those bytes). The one place this is computed: make
    # deploy, the setup page and the endpoints here all call it.
    from hashlib import sha256
    from binascii import hexlify

    return hexlify(sha256(password.encode() if isinstance(password, str) else password).digest()).decode()


def _admin_hash(cfg):
    # The admin password's SHA-256 kept in cfg (a read_config() dict), or None when none is set.
    want = cfg.get("admin_sha256")
    return want if isinstance(want, str) and len(want) == 64 else None


def _password_problem(password):
    # Why `password` cannot become the admin password (the setup page and
    # POST .../password), or None: 8 to 64 printable ASCII characters, which
    # every HTTP client sends alike in Basic credentials.
    if not 8 <= len(password) <= 64:
        return "An admin password has 8 to 64 characters (this one has %d)." % len(password)
    for c in password:
        if not " " <= c <= "~":
            return "An admin password has only printable ASCII characters (letters, digits, punctuation, space)."
    return None


def set_admin_password(password):
    # Sets (or with None removes) the admin password, keeping the other keys.
    set_admin_hash(None if password is None else password_hash(password))


def set_admin_hash(digest):
    cfg = read_config()
    if digest is None:
        cfg.pop("admin_sha256", None)
    else:
        cfg["admin_sha256"] = digest
    write_config(cfg)


# ---- who may ----


def _peer(rq):
    # The client's IP address as a dict key (port left out).
    addr = rq._peer
    if addr is None:
        try:
            addr = rq._writer.get_extra_info("peername")
        except Exception:  # noqa: BLE001
            return "?"
    if isinstance(addr, (tuple, list)):
        return addr[0]
    return bytes(addr[4:8]) if len(addr) >= 8 else bytes(addr)  # unix port: a sockaddr_in


async def _refuse(rq, status, text, header=None):
    rq.return_status(status)
    if header:
        rq.header(header[0], header[1])
    rq.header_text()
    rq._close = rq._close or rq._left != 0  # a body we do not read
    await rq.w("%d %s\n" % (status, text))


async def admin(rq):
    # True when the request carries the admin password; otherwise it has been
    # answered: 403 (sent by a page of another site, or no password
    # configured), 429 (too many failures), 401. Every endpoint that changes
    # something calls it first.
    from .csrf import same_origin

    # A browser sends the Basic credentials it remembers along with a form
    # of any site: refused before the password is tried (nor counted, so
    # another site cannot block the admin with 429). No web.cors() origin
    # passes; clients without a browser (make ota, make deploy, curl) do.
    if not same_origin(rq):
        await _refuse(rq, 403, _CROSS_SITE)
        return False
    want = _admin_hash(read_config())
    if want is None:
        await _refuse(rq, 403, _NO_PASSWORD)
        return False
    from .auth import _credentials

    given = _credentials(rq)
    status = _attempt(rq, None if given is None else given[1], want)
    if status == 429:
        await _refuse(rq, 429, "too many wrong passwords: wait a minute", ("Retry-After", "60"))
    elif status:
        # a browser asks for the password on a WWW-Authenticate; the page's own requests do not want that
        ask = None if rq.headers.get("x-requested-with") else ("WWW-Authenticate", 'Basic realm="device"')
        await _refuse(rq, 401, "wrong or missing admin password", ask)
    return not status


def _attempt(rq, given, want):
    # One try of a password (str or bytes; None: none given) from rq's
    # address against the hex SHA-256 `want`, in constant time: 0 when it
    # matches, 401 when not (counted), 429 while that address is blocked
    # (FAILS failures within WINDOW_MS block it for WINDOW_MS).
    now = ticks_ms()
    who = _peer(rq)
    seen = _seen.get(who)
    if seen is not None and seen[2] is not None:
        if ticks_diff(seen[2], now) > 0:
            return 429
        del _seen[who]
        seen = None
    if given is not None:
        from .auth import _same

        if _same(password_hash(given).encode(), want.encode()):
            return 0
    if seen is None or ticks_diff(now, seen[1]) > WINDOW_MS:
        if len(_seen) >= _ADDRESSES:
            _seen.pop(next(iter(_seen)))
        seen = _seen[who] = [0, now, None]
    seen[0] += 1
    if seen[0] >= FAILS:
        seen[2] = ticks_add(now, WINDOW_MS)
    return 401


def safe_name(name):
    # A file name inside the board's root, or HttpError 400: no absolute
    # path, no `..` or `.` part, no backslash or NUL, no empty part.
    if not name or name[0] == "/" or "\\" in name or "\0" in name or ":" in name:
        raise HttpError(400, "bad file name %r: a relative path inside the board's root" % name)
    for part in name.split("/"):
        if part in ("", ".", ".."):
            raise HttpError(400, "bad file name %r: a relative path inside the board's root" % name)
    return name


def confirm():
    # Once the app serves: ota.confirm() on a board with OTA slots (the
    # bootloader keeps this firmware); returns the running slot, or None where
    # there is nothing to confirm (no esp32.Partition: ota is not even loaded;
    # no OTA slots: ESP-IDF finds no otadata partition).
    try:
        import esp32

        esp32.Partition  # noqa: B018
    except (ImportError, AttributeError):
        return None
    from . import ota

    # an image without OTA slots (the QEMU image, a plain firmware) has nothing to confirm
    return ota.running() if ota.confirm() else None


# ---- status ----


def firmware():
    # aiowebserver's version and the running app's build (the first bytes of
    # its ELF SHA-256, from the app description), cached.
    fw = _state["firmware"]
    if fw is None:
        from . import __version__

        fw = "aiowebserver " + __version__
        try:
            import esp32

            p = esp32.Partition(esp32.Partition.RUNNING)
            head = bytearray(256)
            p.readblocks(0, head)
            if head[32:36] == b"\x32\x54\xcd\xab":
                from binascii import hexlify

                fw += ", app " + hexlify(head[176:180]).decode()  # esp_app_desc_t.app_elf_sha256
        except Exception:  # noqa: BLE001  not an ESP32
            pass
        _state["firmware"] = fw
    return fw


def status():
    # What the page shows: the template's fields (routes(status=...)) and ours.
    gc.collect()
    info = {}
    extra = _state["status"]
    if extra is not None:
        info.update(extra())
    info["heap_free"] = gc.mem_free() if hasattr(gc, "mem_free") else None
    info["uptime_s"] = int(time.time() - _T0)
    impl = sys.implementation
    info["micropython"] = "%d.%d.%d" % impl.version[:3] if impl.name == "micropython" else None
    info["firmware"] = firmware()
    info["slot"] = info["slot_state"] = None
    info["rssi"] = None
    try:
        from . import ota

        if ota.supported():
            info["slot"] = ota.running()
            info["slot_state"] = ota.state()
    except Exception:  # noqa: BLE001
        pass
    try:
        import network

        sta = network.WLAN(network.WLAN.IF_STA)
        if sta.isconnected():
            info["rssi"] = sta.status("rssi")
            if not info.get("ip"):
                info["ip"] = sta.ipconfig("addr4")[0]
    except Exception:  # noqa: BLE001  no Wi-Fi (unix port, Ethernet)
        pass
    return info


async def _events(rq):
    # The page's live status: one event every EVERY_S seconds until the page closes.
    import asyncio

    while True:
        await rq.w(json.dumps(status()))
        await asyncio.sleep(EVERY_S)


EVERY_S = 2


def restart(delay_ms=500):
    # After the answer went out: reset the board (elsewhere: end the process).
    import asyncio

    async def later():
        await asyncio.sleep_ms(delay_ms) if hasattr(asyncio, "sleep_ms") else await asyncio.sleep(delay_ms / 1000)
        if sys.platform == "esp32":
            import machine

            machine.reset()
        raise SystemExit(0)

    asyncio.create_task(later())


# ---- the endpoints ----


async def _page(rq):
    from .device_page import PAGE_GZ

    rq.header("Content-Type", "text/html; charset=utf-8")
    rq.header("Cache-Control", "no-cache")
    if "gzip" in rq.headers.get("accept-encoding", ""):  # every browser
        rq.header("Content-Encoding", "gzip")
        await rq.w(PAGE_GZ)
        return
    import io  # a client without gzip: unpacked as it is sent (a 1 KB window)

    if sys.implementation.name == "micropython":
        import deflate

        f = deflate.DeflateIO(io.BytesIO(PAGE_GZ), deflate.GZIP, 10)
    else:
        import gzip

        f = gzip.GzipFile(fileobj=io.BytesIO(PAGE_GZ))
    while True:
        chunk = f.read(512)
        if not chunk:
            return
        await rq.w(chunk)


async def _status_json(rq):
    rq.header_json()
    await rq.w(json.dumps(status()))


async def _stream(rq):
    from .sse import _serve

    await _serve(rq, _events, 15)


async def _firmware(rq):
    if not await admin(rq):
        return
    from . import ota

    n = await ota.receive(rq)
    again = "restart=0" not in (rq.query or "")
    rq.header_json()
    await rq.w(json.dumps({"written": n, "restart": again}))
    if again:
        restart(1000)


async def _files(rq):
    if not await admin(rq):
        return
    name = None
    for kv in (rq.query or "").split("&"):
        if kv[:5] == "name=":
            from .http import unquote

            name = unquote(kv[5:].replace("+", " ").encode())
    name = safe_name(name)
    n = 0
    with open(name + ".tmp", "wb") as f:
        while True:
            data = await rq.r(1024)
            if not data:
                break
            f.write(data)
            n += len(data)
    _replace(name + ".tmp", name)
    rq.header_json()
    await rq.w(json.dumps({"name": name, "written": n}))


async def _wifi(rq):
    if not await admin(rq):
        return
    data = await rq.decode_postjson_data() if rq.is_postjson() else await rq.decode_postform_data()
    ssid = data.get("ssid") if isinstance(data, dict) else None
    password = data.get("password", "") if isinstance(data, dict) else None
    if not isinstance(ssid, str) or not 0 < len(ssid.encode()) <= 32:
        raise HttpError(400, "ssid: 1 to 32 bytes")
    if not isinstance(password, str) or (password and not 8 <= len(password) <= 63):
        raise HttpError(400, "password: empty (open network) or 8 to 63 characters")
    cfg = read_config()
    cfg["ssid"] = ssid
    cfg["password"] = password
    write_config(cfg)
    rq.header_json()
    await rq.w(json.dumps({"ssid": ssid, "saved": CONFIG}))


async def _password(rq):
    # A new admin password, only with the current one (admin()); JSON only: a
    # form post from another site would not need a CORS preflight, and a
    # browser that cached the Basic credentials would send them along.
    if not await admin(rq):
        return
    if not rq.is_postjson():
        raise HttpError(415, 'send {"password": "..."} as application/json')
    data = await rq.decode_postjson_data()
    password = data.get("password") if isinstance(data, dict) else None
    if not isinstance(password, str):
        raise HttpError(400, 'send {"password": "..."}: the new admin password')
    why = _password_problem(password)
    if why is not None:
        raise HttpError(400, why)
    set_admin_password(password)
    rq.header_json()
    await rq.w('{"admin_password": "changed"}')


async def _restart(rq):
    if not await admin(rq):
        return
    rq.header_json()
    await rq.w('{"restart": true}')
    restart()


def routes(prefix="/device", status=None):
    # Registers the page and its endpoints under prefix; status: a function
    # returning a dict of the app's own fields (network mode, name...).
    _state["status"] = status
    route("GET", prefix)(_page)
    route("GET", prefix + "/status.json")(_status_json)
    route("GET", prefix + "/events")(_stream)
    route("POST", prefix + "/firmware", max_body=1 << 24)(_firmware)  # ota.receive checks the slot size
    route("PUT", prefix + "/files", max_body=MAX_FILE)(_files)
    route("POST", prefix + "/wifi")(_wifi)
    route("POST", prefix + "/password")(_password)
    route("POST", prefix + "/restart")(_restart)
