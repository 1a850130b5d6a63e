"""The device page (aiowebserver.device) as the template serves it on /device.

The template runs for real in a directory standing in for the board's
filesystem, beside the stand-in `network` (tests/test_device_main.py) and
`esp32` (tests/ota_fakes.py) modules. A process that exits is a board that
resets; starting it again in the same directory boots whatever slot the
stand-in's otadata says.
"""
import gzip
import hashlib
import json
import os
import platform
import socket
import subprocess
import time

from helpers import MPY_CROSS, ROOT, read_response
from ota_fakes import app_image, write_standins
from test_device_main import start_board, wait_for_log

PASSWORD = "correct horse"
NEW_PASSWORD = "battery staple"
HOME = {"ssid": "Home", "password": "secret123"}
CROSS_SITE = b"cross-site request refused: use this board's own page (or make ota, make deploy, curl)"
# the template is compiled from source at start, the page and updates come on top
# (a board runs them frozen: far less heap); as the template's status page test
HEAP = "128k"


def board(start_app, tmp_path, wifi=HOME):
    write_standins(str(tmp_path))
    if start_app.runtime == "mpy" and platform.machine() == "x86_64":
        subprocess.run([MPY_CROSS, "-march=x64", "-o", str(tmp_path / "esp32.mpy"), str(tmp_path / "esp32.py")], check=True)
        os.remove(str(tmp_path / "esp32.py"))
    return start_board(start_app, tmp_path, wifi_json=json.dumps(wifi), until="ota: running from ota_0, confirmed",
                       heap=HEAP if start_app.runtime in ("mpy", "frozen") else None)


def boot_again(start_app, tmp_path, slot):
    """The board after its reset: the same files, main.py started again."""
    heap = HEAP if start_app.runtime in ("mpy", "frozen") else None
    app = start_app(str(tmp_path / "main.py"), cwd=str(tmp_path), heap=heap)
    return app, wait_for_log(app, "ota: running from %s, confirmed" % slot)


def auth(password=PASSWORD):
    import base64

    return {"Authorization": "Basic " + base64.b64encode(("admin:" + password).encode()).decode()}


def from_address(app, source, method, path, headers, body=b"", host="board"):
    """One request from another loopback address (its own rate limit)."""
    s = socket.socket()
    s.bind((source, 0))
    s.settimeout(10)
    s.connect((app.host, app.port))
    head = "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n" % (method, path, host, len(body))
    head += "".join("%s: %s\r\n" % kv for kv in headers.items())
    s.sendall(head.encode() + b"\r\n" + body)
    try:
        return read_response(s)[:3]
    finally:
        s.close()


def what_the_board_keeps(tmp_path):
    """Everything an endpoint could change: its files and the other app slot."""
    kept = {}
    for name in ("wifi.json", "main.py", "main.py.tmp", "otadata.txt", "ota_1.bin"):
        path = tmp_path / name
        kept[name] = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None
    return kept


def still_up_a_second_after(app, t0):
    """The board serves at least a second after t0 (a restart ends it within 0.5 s)."""
    events = b""
    if time.monotonic() - t0 < 1.0:  # the status stream's next event comes 2 s after its first
        s = socket.create_connection((app.host, app.port), timeout=10)
        try:
            s.sendall(b"GET /device/events HTTP/1.1\r\nHost: board\r\n\r\n")
            while events.count(b"data:") < 2:
                chunk = s.recv(4096)
                if not chunk:
                    break
                events += chunk
        finally:
            s.close()
        assert events.count(b"data:") == 2, events
    assert app.proc.poll() is None


def test_the_device_page_updates_firmware_files_and_wifi_behind_the_admin_password(runtime, start_app, tmp_path):
    app, log = board(start_app, tmp_path)
    assert log.index("serving on") < log.index("ota: running from ota_0, confirmed")  # confirmed once serving
    # a page of another site cannot restart the board (more below)
    status, _, body = from_address(app, "127.0.0.3", "POST", "/device/restart", {"Sec-Fetch-Site": "cross-site"})
    assert status == 403 and body == b"403 " + CROSS_SITE + b"\n", body
    refused_at = time.monotonic()

    # the page: gzipped bytes for browsers, plain HTML for the rest
    status, headers, body = app.request("GET", "/device", headers={"Accept-Encoding": "gzip, deflate"})
    assert status == 200 and headers["content-encoding"] == "gzip", headers
    page = gzip.decompress(body)
    assert b"<title>Device</title>" in page and b"Firmware update" in page and len(body) < 4096
    status, headers, plain = app.request("GET", "/device")
    assert status == 200 and "content-encoding" not in headers and plain == page

    status, _, body = app.request("GET", "/device/status.json")
    info = json.loads(body)
    assert info["slot"] == "ota_0" and info["ip"] == "192.168.1.50" and info["rssi"] == -61, info
    assert info["firmware"].startswith("aiowebserver 0.1.0") and info["uptime_s"] >= 0
    assert (info["micropython"] or "").startswith("1.") == (runtime != "cpython")

    # no admin password configured: 403 says how to set one
    image = app_image(400_000)
    status, _, body = app.request("POST", "/device/firmware", body=image[:100], headers=auth())
    assert status == 403 and b"ADMIN_PASSWORD" in body, body
    cfg = dict(HOME, admin_sha256=hashlib.sha256(PASSWORD.encode()).hexdigest())
    (tmp_path / "wifi.json").write_text(json.dumps(cfg))  # what make deploy ADMIN_PASSWORD=... writes

    # a page of another site (CSRF): its forms and fetch() would carry the Basic
    # credentials the browser remembers; every endpoint that changes something
    # answers 403 before the password is tried, and nothing changes
    kept = what_the_board_keeps(tmp_path)
    unsafe = (("POST", "/device/restart", b"", {}),
              ("POST", "/device/firmware", app_image(40_000, seed=3), {"Content-Type": "application/octet-stream"}),
              ("PUT", "/device/files?name=main.py", b"print('not yours')\n", {}),
              ("POST", "/device/wifi", b"ssid=Evil&password=evil-pass", {"Content-Type": "application/x-www-form-urlencoded"}),
              ("POST", "/device/password", json.dumps({"password": "not yours either"}).encode(),
               {"Content-Type": "application/json"}))
    for method, path, body, headers in unsafe:
        for where in ({"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                      {"Origin": "http://evil.example"}, {"Origin": "null"}):  # no Sec-Fetch-Site: plain HTTP on a LAN
            status, _, body_ = from_address(app, "127.0.0.3", method, path, dict(auth(), **dict(headers, **where)), body)
            assert status == 403 and body_ == b"403 " + CROSS_SITE + b"\n", (path, where, status, body_)
    assert what_the_board_keeps(tmp_path) == kept
    # not counted as failed passwords: another site cannot get the admin a 429
    for _ in range(6):
        status, _, _ = from_address(app, "127.0.0.3", "POST", "/device/restart", {"Origin": "http://evil.example"})
        assert status == 403
    status, _, body = from_address(app, "127.0.0.3", "POST", "/device/wifi", dict(auth(), **{
        "Origin": "http://board", "Content-Type": "application/x-www-form-urlencoded"}), b"ssid=Home&password=secret123")
    assert status == 200, body  # the board's own origin (Host: board) passes

    # five wrong passwords from one address: 429 for a minute, even with the right one
    for i in range(5):
        status, headers, _ = from_address(app, "127.0.0.2", "POST", "/device/restart", auth("wrong %d" % i))
        assert status == 401 and headers["www-authenticate"].startswith("Basic"), status
    status, headers, body = from_address(app, "127.0.0.2", "POST", "/device/restart", auth())
    assert status == 429 and headers["retry-after"] == "60", (status, body)
    status, headers, _ = app.request("POST", "/device/restart", headers=dict(auth("nope"), **{"X-Requested-With": "page"}))
    assert status == 401 and "www-authenticate" not in headers  # the page's own requests get no browser prompt

    # files stay inside the board's root
    for name in ("../evil.py", "/etc/passwd", "lib/../../x", "a//b", "..", "c:x"):
        status, _, body = app.request("PUT", "/device/files?name=" + name, body=b"x", headers=auth())
        assert status == 400 and b"bad file name" in body, (name, body)
    new_main = (tmp_path / "main.py").read_bytes() + b"\n# deployed over HTTP\n"
    status, _, body = app.request("PUT", "/device/files?name=main.py", body=new_main,
                                  headers=dict(auth(), **{"Sec-Fetch-Site": "same-origin"}))
    assert status == 200 and json.loads(body) == {"name": "main.py", "written": len(new_main)}, body
    assert (tmp_path / "main.py").read_bytes() == new_main and not (tmp_path / "main.py.tmp").exists()

    # Wi-Fi settings: saved atomically, the admin password kept
    status, _, body = app.request("POST", "/device/wifi", body=json.dumps({"ssid": "Other", "password": "short"}),
                                  headers=dict(auth(), **{"Content-Type": "application/json"}))
    assert status == 400 and b"8 to 63" in body
    status, _, body = app.request("POST", "/device/wifi", body=json.dumps({"ssid": "Other", "password": "password2"}),
                                  headers=dict(auth(), **{"Content-Type": "application/json", "Origin": app.url}))
    assert status == 200, body
    assert json.loads((tmp_path / "wifi.json").read_text()) == dict(cfg, ssid="Other", password="password2")

    # a new admin password: only with the current one, only as JSON (a form
    # from another site would need no CORS preflight), 8 to 64 printable ASCII
    as_json = {"Content-Type": "application/json", "X-Requested-With": "page"}
    new = json.dumps({"password": NEW_PASSWORD})
    status, _, body = app.request("POST", "/device/password", body=new, headers=as_json)
    assert status == 401, body
    status, _, body = app.request("POST", "/device/password", body="password=battery+staple",
                                  headers=dict(auth(), **{"Content-Type": "application/x-www-form-urlencoded"}))
    assert status == 415 and b"application/json" in body, body
    for bad, said in (("short", b"8 to 64 characters (this one has 5)"), ("caf\u00e9 au lait", b"printable ASCII"),
                      (None, b"the new admin password")):
        status, _, body = app.request("POST", "/device/password", body=json.dumps({"password": bad}),
                                      headers=dict(auth(), **as_json))
        assert status == 400 and said in body, (bad, body)
    status, _, body = app.request("POST", "/device/password", body=new, headers=dict(auth(), **as_json))
    assert status == 200 and json.loads(body) == {"admin_password": "changed"}, body
    cfg = dict(cfg, ssid="Other", password="password2", admin_sha256=hashlib.sha256(NEW_PASSWORD.encode()).hexdigest())
    assert json.loads((tmp_path / "wifi.json").read_text()) == cfg
    status, _, _ = app.request("POST", "/device/restart", headers=dict(auth(), **as_json))
    assert status == 401  # the old one is gone

    if runtime == "micropython":  # (one runtime: it may wait 2 s)
        still_up_a_second_after(app, refused_at)  # the refused restart did not happen later either

    # the firmware: written, verified, switched; then the board resets into it
    status, _, body = app.request("POST", "/device/firmware", body=image, headers=auth(NEW_PASSWORD), timeout=30)
    assert status == 200 and json.loads(body) == {"written": len(image), "restart": True}, body
    assert app.proc.wait(10) == 0
    app, log = boot_again(start_app, tmp_path, "ota_1")
    assert "STA connect('Other', 'password2')" in log
    info = json.loads(app.request("GET", "/device/status.json")[2])
    # the new app, named by its app description (the first bytes of its ELF's SHA-256)
    assert info["slot"] == "ota_1" and info["firmware"] == "aiowebserver 0.1.0, app " + hashlib.sha256(b"elf1").hexdigest()[:8]

    # a new app that never gets to serve (it dies at start) is rolled back at the reset after
    status, _, body = app.request("POST", "/device/firmware?restart=0", body=app_image(300_000, seed=5),
                                  headers=auth(NEW_PASSWORD))
    assert status == 200 and json.loads(body)["restart"] is False, body
    app.proc.terminate()
    app.proc.wait(10)
    subprocess.run([app.proc.args[0], "-c", "import esp32"], cwd=str(tmp_path), env=app.env, timeout=20, check=True)
    assert (tmp_path / "otadata.txt").read_text() == "ota_0 pending"
    boot_again(start_app, tmp_path, "ota_1")  # the bootloader went back to ota_1
    assert (tmp_path / "otadata.txt").read_text() == "ota_1 valid"


def test_the_frozen_page_is_the_gzipped_source():
    import importlib.util

    spec = importlib.util.spec_from_file_location("device_page_tool", os.path.join(ROOT, "tools", "device_page.py"))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    with open(os.path.join(ROOT, "aiowebserver", "device_page.py")) as f:
        assert f.read() == tool.build(), "run: .venv/bin/python tools/device_page.py"


def test_on_a_phone_the_page_shows_live_status_and_updates_the_firmware_with_a_progress_bar(
        runtime, start_app, request, tmp_path):
    if runtime != "micropython":
        return  # one runtime is enough for the browser
    browser = request.getfixturevalue("browser")
    app, _ = board(start_app, tmp_path, wifi=dict(HOME, admin_sha256=hashlib.sha256(PASSWORD.encode()).hexdigest()))
    firmware = tmp_path / "micropython.bin"
    firmware.write_bytes(app_image(900_000, seed=7))
    main_py = tmp_path / "upload" / "main.py"
    main_py.parent.mkdir()
    main_py.write_text("print('hello from the new main.py')\n")
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page.goto(app.url + "/device")
    page.wait_for_selector("#live:text('● live')", timeout=10000)  # the event stream is on
    page.wait_for_selector("#st dd:text('ota_0')", timeout=10000)
    assert page.inner_text("#name") == "aiowebserver-abcd"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    # a wrong password: the board's answer is shown, nothing changes
    page.fill("#pw", "wrong")
    page.set_input_files("#mpf", str(main_py))
    page.click("#mp button")
    page.wait_for_selector("#mpm.err:text('401 wrong or missing admin password')", timeout=10000)

    page.fill("#pw", PASSWORD)
    # a new admin password, typed once with the show toggle on: the page uses it from then on
    page.click("summary:text('Change it')")
    page.fill("#np", NEW_PASSWORD)
    page.tap("#sp")
    assert page.get_attribute("#np", "type") == "text" and page.get_attribute("#pw", "type") == "text"
    page.tap("#sp")
    assert page.get_attribute("#pw", "type") == "password"
    page.click("#ap button")
    page.wait_for_selector("#am:text('admin password changed')", timeout=10000)
    assert page.input_value("#pw") == NEW_PASSWORD and page.input_value("#np") == ""
    assert json.loads((tmp_path / "wifi.json").read_text())["admin_sha256"] == hashlib.sha256(NEW_PASSWORD.encode()).hexdigest()
    page.click("#mp button")
    page.wait_for_selector("#mpm:text('main.py saved (%d bytes): restart to run it')" % main_py.stat().st_size,
                           timeout=10000)
    assert (tmp_path / "main.py").read_text() == main_py.read_text()

    page.set_input_files("#fwf", str(firmware))
    page.click("#fw button")
    page.wait_for_selector("#fwm:text('%d bytes written and verified')" % firmware.stat().st_size, timeout=20000)
    assert page.evaluate("document.getElementById('fwp').value") == 1  # the progress bar went all the way
    shot = os.path.join(ROOT, "docs", "device.png") if os.environ.get("AIOWEBSERVER_SCREENSHOTS") else str(tmp_path / "d.png")
    page.screenshot(path=shot, full_page=True)
    assert app.proc.wait(10) == 0  # the board resets into the new firmware
    assert (tmp_path / "otadata.txt").read_text() == "ota_1 new"
    page.close()
