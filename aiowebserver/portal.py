# Setup mode: the board's own access point, a catch-all DNS, the phones'
# connectivity probes sent to the setup page, the page itself, and joining
# the network chosen there. Loaded only in setup mode. Guide: docs/portal.md
#
#   import aiowebserver.portal as portal
#   ssid, ip = portal.setup()        # blocks until a network is joined
#   ssid, ip = await portal.run()    # the same inside a running loop
import asyncio
import json
import sys
from .http import HttpError
from .router import _before
from .server import start, stop, _servers, _state

try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

_MPY = sys.implementation.name == "micropython"
_FORM_MAX = const(1024)  # bytes of form: ssid (32 bytes), Wi-Fi and admin passwords (64 ASCII each), escaped
_CONFIG_MAX = const(512)  # bytes of wifi.json (what the template reads)
_NETS_MAX = const(30)  # networks listed
_JOIN_S = const(20)  # seconds to wait for an address
_GRACE_MS = const(200)  # the last answer leaves before the server stops
AP_PASSWORD = "aiowebserver"


def _env(name):
    # an environment variable, or None (the esp32 port has no os.getenv)
    try:
        from os import getenv
    except ImportError:
        return None
    return getenv(name)

# where the phones look for the internet; a board host asked for these
# redirects too (the names are all redirected anyway: they are not the board)
_PROBES = ("/generate_204", "/gen_204", "/hotspot-detect.html", "/library/test/success.html",
           "/connecttest.txt", "/ncsi.txt", "/redirect", "/canonical.html", "/success.txt")

_HEAD = (
    b"<!doctype html><html lang=en><meta charset=utf-8>"
    b'<meta name=viewport content="width=device-width,initial-scale=1">'
    b"<title>Wi-Fi setup</title><style>"
    b"body{margin:0;background:#eef1f5;color:#16202c;font:17px/1.45 system-ui,sans-serif}"
    b"main{max-width:30rem;margin:auto;padding:1rem}h1{font-size:1.35rem;margin:.4rem 0 1rem}"
    b".n{display:flex;align-items:center;gap:.6rem;background:#fff;border-radius:.7rem;"
    b"padding:.75rem .8rem;margin:.45rem 0;box-shadow:0 1px 2px #0002;cursor:pointer}"
    b".n:has(:checked){outline:2px solid #2563eb}.n span{flex:1;overflow-wrap:anywhere}"
    b".n small{color:#667}.s{display:inline-flex;align-items:flex-end;gap:2px;height:1rem}"
    b".s b{width:4px;background:#cdd3db;border-radius:1px}.s b:nth-child(1){height:30%}"
    b".s b:nth-child(2){height:55%}.s b:nth-child(3){height:80%}.s b:nth-child(4){height:100%}"
    b".l1 b:nth-child(-n+1),.l2 b:nth-child(-n+2),.l3 b:nth-child(-n+3),.l4 b{background:#16202c}"
    b"input[type=text],input[type=password]{box-sizing:border-box;width:100%;font:inherit;"
    b"padding:.65rem;border:1px solid #b8c0cc;border-radius:.5rem;background:#fff}"
    b"button{width:100%;font:inherit;font-weight:600;padding:.8rem;margin-top:1rem;border:0;"
    b"border-radius:.7rem;background:#2563eb;color:#fff}"
    b".k{display:inline-block;position:relative;width:10px;height:8px;margin:6px 2px 0;"
    b"background:#16202c;border-radius:2px}.k:before{content:'';position:absolute;left:1px;"
    b"top:-7px;width:4px;height:5px;border:2px solid #16202c;border-bottom:0;border-radius:4px 4px 0 0}"
    b".e,.ok{padding:.7rem .8rem;border-radius:.6rem}.e{background:#fde2e2;color:#8a1c1c}"
    b".ok{background:#dcf5e3;color:#14532d}.m{color:#667;font-size:.9rem}a{color:#2563eb}"
    b"</style><main><h1>Wi-Fi setup</h1>"
)
_FORM = b'<form method=post action=/join><p>Choose your network:</p>'
_OTHER = (
    b'<label class=n><input type=radio name=ssid value="" id=o><span>Other network:'
    b' <input type=text name=hidden maxlength=32 autocapitalize=none autocomplete=off'
    b' placeholder="hidden network name" onfocus="o.checked=1"'
)
_PASSWORD = (
    b"></span></label><p><label>Password<br><input type=password name=password id=p"
    b" maxlength=64 autocomplete=off></label><br><label class=m><input type=checkbox"
    b" onclick=\"p.type=checked?'text':'password'\"> show password</label></p>"
)
# the admin password (device.py): chosen at the first setup, changed only with the current one
_ADMIN_NEW = (
    b"<p><label>Admin password<br><input type=password name=admin id=a minlength=8 maxlength=64"
    b" required autocomplete=new-password></label><br><span class=m>for updates over Wi-Fi:"
    b" 8 to 64 characters; the board keeps only its hash</span><br><label class=m><input"
    b" type=checkbox onclick=\"a.type=checked?'text':'password'\"> show password</label></p>"
)
# (no minlength here: a field too short in a folded <details> would stop the form without a word)
_ADMIN_CHANGE = (
    b"<details><summary class=m>Admin password: set (kept). Change it</summary><p><label>New admin"
    b" password<br><input type=password name=admin id=a maxlength=64"
    b" autocomplete=new-password placeholder=\"empty: keep the current one\"></label><br><label>"
    b"Current admin password<br><input type=password name=current id=c maxlength=64"
    b" autocomplete=current-password></label><br><label class=m><input type=checkbox"
    b" onclick=\"a.type=c.type=checked?'text':'password'\"> show passwords</label></p></details>"
)
_JOIN = (
    b"<button>Join</button></form><p class=m>The board tries the network while this one"
    b" stays up; that takes up to 20 s.</p>"
)
_BARS = b"<b></b><b></b><b></b><b></b></i>"
_TAIL = b"</main>\n"
_CLOSING = b"<p class=ok>The setup network closes now: switch your phone back to your own network.</p>"

_s = {}  # the portal's state while it runs (see run())


def _esc(text):
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def _networks():
    # [(rssi, name, secured)] strongest first, one per name; None when the scan failed
    try:
        found = _s["sta"].scan()
    except Exception as e:  # noqa: BLE001  OSError on the chip: the page says so
        print("setup: scan failed: %r" % e)
        return None
    best = {}
    for net in found:
        try:
            name = bytes(net[0]).decode()
        except ValueError:  # not UTF-8 (UnicodeError): it could not be typed either
            continue
        if not name or len(net[0]) > 32:  # hidden networks have no name
            continue
        rssi = net[3]
        old = best.get(name)
        if old is None or rssi > old[0]:
            best[name] = (rssi, net[4] != 0)
    nets = sorted(((v[0], k, v[1]) for k, v in best.items()), key=lambda n: -n[0])
    return nets[:_NETS_MAX]


def _bars(rssi):
    return 4 if rssi >= -55 else 3 if rssi >= -67 else 2 if rssi >= -78 else 1


async def _page(rq, message=None, chosen=""):
    # The setup page (or, once joined, the result), streamed in small writes.
    rq.header("Cache-Control", "no-store")
    await rq.w(_HEAD, drain=False)
    joined = _s["joined"]
    if joined is not None:
        await _joined(rq, joined)
        return
    if message:
        await rq.w("<p class=e>%s</p>" % _esc(message), drain=False)
    await rq.w(_FORM, drain=False)
    nets = _networks()
    if nets is None:
        await rq.w(b"<p class=e>The scan failed: reload the page to try again.</p>", drain=False)
    elif not nets:
        await rq.w(b"<p class=m>No networks seen: reload the page to scan again.</p>", drain=False)
    listed = False
    for rssi, name, secured in nets or ():
        esc = _esc(name)
        if name == chosen:
            listed = True
        await rq.w(
            '<label class=n><input type=radio name=ssid value="%s"%s><span>%s</span>'
            '<small>%d dBm</small><i class="s l%d" title="signal">'
            % (esc, " checked" if name == chosen else "", esc, rssi, _bars(rssi)),
            drain=False)
        await rq.w(_BARS, drain=False)
        await rq.w("<i class=k title=secured></i></label>" if secured else "<small>open</small></label>", drain=False)
    await rq.w(_OTHER, drain=False)
    if chosen and not listed:
        await rq.w(' value="%s"' % _esc(chosen), drain=False)
    await rq.w(_PASSWORD, drain=False)
    if _s["admin"]:  # (device.py, which checks the hash, loads only when the form comes back)
        await rq.w(_ADMIN_CHANGE if _load().get("admin_sha256") else _ADMIN_NEW, drain=False)
    await rq.w(_JOIN, drain=False)
    await rq.w(_TAIL)


async def _joined(rq, joined):
    ssid, ip = joined
    name = _esc(_s["hostname"])
    await rq.w(
        "<p class=ok>Joined <b>%s</b>.</p><p>The board is now at <a href=\"http://%s.local/\">"
        "http://%s.local/</a> (or <a href=\"http://%s/\">http://%s/</a>): switch your phone"
        " back to <b>%s</b> and open it.</p>"
        % (_esc(ssid), name, name, ip, ip, _esc(ssid)), drain=False)
    if _s["admin_set"]:
        await rq.w(b"<p class=m>The admin password is saved (as a hash).</p>", drain=False)
    await rq.w(
        b"<form method=post action=/done><button>Done: close the setup network</button></form>"
        b"<p class=m>It closes by itself within %d s.</p>" % _s["linger"], drain=False)
    await rq.w(_TAIL)


def _field(form, key):
    # A form field as text: '' when missing; the first non-empty one when repeated
    value = form.get(key, "")
    if isinstance(value, list):
        value = ([v for v in value if v and isinstance(v, str)] or [""])[0]
    return value if isinstance(value, str) else ""


def _check(ssid, password):
    # Why these can't be a Wi-Fi network's settings, or None
    size = len(ssid.encode())
    if not size or size > 32:
        return "A network name is 1 to 32 bytes long (this one has %d)." % size
    if "\x00" in ssid:
        return "A network name has no NUL character."
    n = len(password)
    if n == 64:
        try:
            int(password, 16)
            if password.strip() == password:  # no sign or blanks that int() allows
                return None
        except ValueError:
            pass
        return "A 64-character password must be 64 hex digits (a WPA key); a passphrase has 8 to 63 characters."
    if n and not 8 <= n <= 63:
        return "A Wi-Fi password has 8 to 63 characters (this one has %d), or none for an open network." % n
    for c in password:
        if not " " <= c <= "~":
            return "A Wi-Fi password has only printable ASCII characters (letters, digits, punctuation, space)."
    return None


def _admin(rq, form):
    # The admin password fields: (status, why, None) when refused, else
    # (None, None, hash of the new password or None to keep the one set).
    # None set yet: one is required. One set: a new one only with the current
    # one, tried as device.admin() tries it (constant time, 5 failures from
    # one address in a minute: blocked for a minute), as anyone nearby may
    # know the access point's password.
    from .device import _admin_hash, _attempt, _password_problem, password_hash

    new = _field(form, "admin")
    want = _admin_hash(_load())
    if not new:
        if want is None:
            return 400, "Choose an admin password: updates over Wi-Fi need one.", None
        return None, None, None
    why = _password_problem(new)
    if why is not None:
        return 400, why, None
    if want is not None:
        current = _field(form, "current")
        if not current:
            return 403, ("Type the current admin password to change it (forgotten: set a new one over USB,"
                         " make deploy PORT=... ADMIN_PASSWORD=...)."), None
        refused = _attempt(rq, current, want)
        if refused == 429:
            return 429, "Too many wrong admin passwords: wait a minute.", None
        if refused:
            return 403, "The current admin password is wrong: nothing was changed.", None
    return None, None, password_hash(new)


async def _join_form(rq):
    size = rq.headers.get("content-length")
    if size is None or not size.isdigit() or int(size) > _FORM_MAX:
        # read (up to limits.max_body, else the server closes) in small pieces:
        # a fragmented heap may have no 1 KB block for the server's own skipping
        while await rq.r(256):
            pass
        rq.return_status(413)
        await _page(rq, "The form was too large (more than %d bytes): send it from this page." % _FORM_MAX)
        return
    try:
        form = await rq.decode_postform_data()
    except HttpError as e:  # 400: bad escapes, not UTF-8 (MemoryError: the server's 503)
        if e.status != 400:
            raise
        form = None
    if not isinstance(form, dict):
        rq.return_status(400)
        await _page(rq, "The form could not be read: send it from this page.")
        return
    ssid = _field(form, "ssid") or _field(form, "hidden")
    password = _field(form, "password")
    status, why = 400, _check(ssid, password)
    admin = None  # the new admin password's hash, or None: the one set stays
    if why is None and _s["admin"]:
        status, why, admin = _admin(rq, form)
    if why is not None:
        rq.return_status(status)
        await _page(rq, why, ssid if len(ssid) <= 32 else "")
        return
    if _s["busy"]:
        rq.return_status(409)
        await _page(rq, "The board is already trying a network: wait a moment and reload.")
        return
    _s["busy"] = True
    try:
        print("setup: joining %r" % ssid)
        ip, why = await _connect(ssid, password)
        if ip is not None:
            try:
                _save(ssid, password, admin)
            except OSError as e:
                why = "joined, but wifi.json could not be saved (%s)" % e
                ip = None
    finally:
        _s["busy"] = False
    if ip is None:
        print("setup: could not join %r: %s" % (ssid, why))
        await _page(rq, "Could not join %s: %s. Nothing was saved." % (ssid, why), ssid)
        return
    print("setup: joined %r, address %s, saved %s%s" % (ssid, ip, _s["config"],
                                                        " with a new admin password" if admin else ""))
    _s["joined"] = (ssid, ip)
    _s["admin_set"] = admin is not None
    _s["event"].set()
    await _page(rq)


async def _connect(ssid, password):
    # (address, None) once joined, else (None, why)
    import network

    sta = _s["sta"]
    refused = {}
    for stat, why in (("STAT_WRONG_PASSWORD", "wrong password"),
                      ("STAT_HANDSHAKE_TIMEOUT", "wrong password (no handshake)"),
                      ("STAT_NO_AP_FOUND", "network not found (the board sees 2.4 GHz only)"),
                      ("STAT_CONNECT_FAIL", "connection failed")):
        if hasattr(network, stat):
            refused[getattr(network, stat)] = why
    why = "no answer within %d s (a wrong password looks like this too)" % _JOIN_S
    try:
        if sta.isconnected():
            sta.disconnect()
        sta.connect(ssid, password)
    except OSError as e:
        return None, "the Wi-Fi chip refused (%s)" % e
    for _ in range(_JOIN_S * 10):
        status = sta.status()
        if status == network.STAT_GOT_IP:
            _reconnects(sta, -1)  # the station keeps its network from now on
            return sta.ipconfig("addr4")[0], None
        if status in refused:
            why = refused[status]
            break
        await asyncio.sleep(0.1)
    try:
        sta.disconnect()  # a station still searching disturbs the access point
    except OSError:
        pass
    return None, why


def _reconnects(sta, n):
    try:
        sta.config(reconnects=n)
    except (OSError, ValueError, TypeError):  # a port without this setting
        pass


def _load():
    # the config file as a dict: {} when there is none, or a malformed one
    try:
        with open(_s["config"], "rb") as f:
            cfg = json.loads(f.read(_CONFIG_MAX))
        return cfg if isinstance(cfg, dict) else {}
    except (OSError, ValueError):
        return {}


def _save(ssid, password, admin=None):
    # wifi.json with the new network (and admin password hash), any other keys
    # it had kept: written to a temporary file, then renamed over the old one
    # (a power cut leaves one whole file)
    import os

    path = _s["config"]
    cfg = _load()
    cfg["ssid"] = ssid
    cfg["password"] = password
    if admin is not None:
        cfg["admin_sha256"] = admin
    data = json.dumps(cfg)
    if len(data.encode()) > _CONFIG_MAX:  # the template would not read it whole
        data = json.dumps({k: cfg[k] for k in ("ssid", "password", "admin_sha256") if k in cfg})
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(data)
    try:
        os.rename(tmp, path)
    except OSError:  # a filesystem that renames onto no existing file (FAT)
        os.remove(path)
        os.rename(tmp, path)


async def _redirect(rq):
    # Not the board, or a phone's probe: to the setup page (never "online")
    url = _s["url"]
    rq.return_status(302)
    rq.header("Location", url)
    rq.header("Cache-Control", "no-store")
    await rq.w('<!doctype html><a href="%s">Wi-Fi setup</a>\n' % url)


async def _hook(rq):
    # A before_request hook: every request while the portal runs passes here.
    host = rq.headers.get("host")
    if host is not None:
        i = host.rfind(":")
        if i > 0 and host[i + 1:].isdigit():
            host = host[:i]
        host = host.lower()
    path = rq.path
    if (host is not None and host not in _s["hosts"]) or path in _PROBES:
        await _redirect(rq)
    elif path == "/" and (rq.method == "GET" or rq.method == "HEAD"):
        await _page(rq)
    elif path == "/join" and rq.method == "POST":
        await _join_form(rq)
    elif path == "/done" and rq.method == "POST" and _s["joined"] is not None:
        await rq.w(_HEAD, drain=False)
        await rq.w(_CLOSING, drain=False)
        await rq.w(_TAIL)
        _s["done"].set()
    # anything else: the application's own routes


def _ap_up(ap, network, name, password):
    ap.active(True)  # the ESP32 takes an AP config only once the AP is active
    if password:
        ap.config(ssid=name, key=password, security=network.WLAN.SEC_WPA2)
    else:
        ap.config(ssid=name, security=getattr(network.WLAN, "SEC_OPEN", 0))
    return ap.ipconfig("addr4")[0]


async def run(name=None, password=AP_PASSWORD, port=None, dns_port=None, config="wifi.json",
              linger=30, admin=True):
    # Setup mode until the phone's choice joined: returns (ssid, address).
    # name: the access point's ('aiowebserver-XXXX' from the MAC); password:
    # WPA2, 8 to 63 characters, or None for an open network; port: the HTTP
    # port (None: the server's default; a server already running is used as
    # is); dns_port: 53 ($AIOWEBSERVER_DNS_PORT); config: the file saved;
    # linger: seconds the access point stays up after success; admin: the
    # page asks for the admin password of aiowebserver.device (required when
    # none is set, changed only with the current one).
    import network
    from .dns import bind, run as answer

    sta = network.WLAN(network.WLAN.IF_STA)
    if name is None:
        mac = sta.config("mac")
        name = "aiowebserver-%02x%02x" % (mac[4], mac[5])
    ap = network.WLAN(network.WLAN.IF_AP)
    ap_ip = _ap_up(ap, network, name, password)
    sta.active(True)  # to scan and to join; the access point stays up
    _reconnects(sta, 2)  # then status() tells a wrong password from a slow network
    try:
        hostname = network.hostname()
    except (AttributeError, OSError):
        hostname = name
    print("wifi: access point %r up, password %r, address %s" % (name, password, ap_ip))
    host = _env("AIOWEBSERVER_HOST") or "0.0.0.0"
    if dns_port is None:
        dns_port = int(_env("AIOWEBSERVER_DNS_PORT") or 53)
    try:
        sock = bind(host, dns_port)
    except OSError as e:
        sock = None
        print("setup: no DNS on port %d (%s): phones will not open the page by themselves"
              % (dns_port, e))
    started = not _servers
    if started:
        port = await start(port=port)
    else:
        port = _state["port"]
    url = "http://%s/" % ap_ip if port == 80 else "http://%s:%d/" % (ap_ip, port)
    _s.update(sta=sta, url=url, hosts=(ap_ip, hostname.lower(), hostname.lower() + ".local"),
              hostname=hostname, config=config, linger=linger, joined=None, busy=False,
              admin=admin, admin_set=False,
              event=asyncio.Event(), done=asyncio.Event())
    _before.insert(0, _hook)
    task = asyncio.create_task(answer(sock, ap_ip)) if sock is not None else None
    print("setup: join %r with a phone: the setup page opens (else open %s)" % (name, url))
    try:
        await _s["event"].wait()
        try:
            await asyncio.wait_for(_s["done"].wait(), linger)
        except asyncio.TimeoutError:
            pass
        await asyncio.sleep(_GRACE_MS / 1000)
        return _s["joined"]
    finally:
        _before.remove(_hook)
        if task is not None:
            task.cancel()
            sock.close()
        if started:
            stop()
        try:
            ap.active(False)
        except OSError:
            pass
        print("setup: done, access point %r down" % name)
        _s.clear()


def setup(*args, **kw):
    # run() in its own event loop: blocks until a network is joined.
    return asyncio.run(run(*args, **kw))
