"""Talks to a board's device page endpoints (aiowebserver.device) from a PC:
what `make ota HOST=...` and `make deploy HOST=...` run. Standard library only.

    python tools/ota_client.py ota HOST FIRMWARE           # app image, progress bar, waits for the reboot
    python tools/ota_client.py deploy HOST FILE[=NAME]...  # files (each to NAME.tmp, renamed), then restart
    python tools/ota_client.py status HOST

HOST: a name or address, with :port when not 80 (http:// is optional). The
admin password comes from $ADMIN_PASSWORD; Wi-Fi settings for deploy from
$WIFI_SSID / $WIFI_PASSWORD. Every failure is one line on stderr, exit 1.
"""
import base64
import hashlib
import json
import os
import socket
import struct
import sys
import time

PREFIX = "/device"
BACK_WITHIN_S = 90  # a board writes, reboots, joins Wi-Fi: usually 10-20 s


class Failure(Exception):
    pass


def parse_host(host):
    host = host.split("://", 1)[-1].rstrip("/")
    name, _, port = host.partition(":")
    return name, int(port) if port else 80


def _auth_headers():
    password = os.environ.get("ADMIN_PASSWORD", "")
    if not password:
        return {}
    return {"Authorization": "Basic " + base64.b64encode(("admin:" + password).encode()).decode()}


def _connect(host, timeout=10):
    name, port = parse_host(host)
    try:
        return socket.create_connection((name, port), timeout=timeout)
    except socket.gaierror:
        raise Failure("cannot reach %s: the name does not resolve (no mDNS? use the board's address)" % host)
    except socket.timeout:
        raise Failure("cannot reach %s: no answer within %d s (is the board on, and on this network?)" % (host, timeout))
    except OSError as e:
        raise Failure("cannot reach %s: %s (is the board on, and on this network?)" % (host, e.strerror or e))


def _read_response(sock, data=b""):
    """(status, headers, body) of one response; data: bytes already received."""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise Failure("the board closed the connection without an answer")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if status == 100:
        return _read_response(sock, body)
    if "content-length" in headers:
        n = int(headers["content-length"])
        while len(body) < n:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return status, headers, body[:n]
    if headers.get("transfer-encoding") == "chunked":
        out = b""
        while True:
            while b"\r\n" not in body:
                body += sock.recv(65536)
            line, _, body = body.partition(b"\r\n")
            size = int(line.split(b";")[0], 16)
            if not size:
                return status, headers, out
            while len(body) < size + 2:
                body += sock.recv(65536)
            out += body[:size]
            body = body[size + 2:]
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return status, headers, body
        body += chunk


def request(host, method, path, body=b"", headers=None, progress=None, timeout=30):
    """One request on its own connection. With a body, asks for 100 Continue
    first, so a refusal (401, 403, 413...) comes before the body is sent."""
    sock = _connect(host)
    try:
        sock.settimeout(timeout)
        hdrs = {"Host": parse_host(host)[0], "Content-Length": str(len(body)), "Connection": "close"}
        hdrs.update(headers or {})
        if len(body) > 65536:
            hdrs["Expect"] = "100-continue"
        head = "%s %s HTTP/1.1\r\n%s\r\n" % (method, path, "".join("%s: %s\r\n" % kv for kv in hdrs.items()))
        sock.sendall(head.encode())
        early = b""
        if "Expect" in hdrs:
            sock.settimeout(3)  # an old server may not answer 100: send anyway then
            try:
                early = sock.recv(65536)
            except socket.timeout:
                pass
            sock.settimeout(timeout)
            if early and not early.startswith(b"HTTP/1.1 100"):
                return _read_response(sock, early)
            if early.startswith(b"HTTP/1.1 100"):
                early = early.partition(b"\r\n\r\n")[2]
        sent = 0
        try:
            while sent < len(body):
                piece = body[sent:sent + 16384]
                sock.sendall(piece)
                sent += len(piece)
                if progress:
                    progress(sent, len(body))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the board answered early and closed: its answer says why
        return _read_response(sock, early)
    except socket.timeout:
        raise Failure("%s %s: the board stopped answering" % (method, path))
    except OSError as e:  # reset: the board went away (it restarts, or lost power)
        raise Failure("%s %s: connection lost (%s)" % (method, path, e.strerror or e))
    finally:
        sock.close()


def explain(status, body, what):
    """One line for a refused request."""
    text = body.decode("utf-8", "replace").strip().splitlines()[0] if body.strip() else str(status)
    if status == 401:
        return "401: wrong or missing admin password: pass ADMIN_PASSWORD=... (docs/ota.md)"
    if status == 404:
        return "404: %s has no %s endpoint: its main.py does not serve the device page (device.routes())" % (what, PREFIX)
    if status == 400 and "image" in text:
        return "image refused: " + text
    return text


def status(host):
    code, _, body = request(host, "GET", PREFIX + "/status.json", timeout=10)
    if code != 200:
        raise Failure(explain(code, body, host))
    return json.loads(body)


def describe(info):
    parts = [info.get("firmware") or "?"]
    if info.get("micropython"):
        parts.append("MicroPython " + info["micropython"])
    if info.get("slot"):
        state = info.get("slot_state")  # 'pending_verify': not confirmed yet, rolled back at the next reset
        parts.append("slot " + info["slot"] + (" (%s)" % state if state and state != "valid" else ""))
    return ", ".join(parts)


def check_image(data, path):
    """Refuse locally what the board would refuse at its first block."""
    if len(data) < 36 or data[0] != 0xE9:
        raise Failure("%s is not an ESP32 app image (no 0xE9 magic byte)" % path)
    if struct.unpack("<I", data[32:36])[0] != 0xABCD5432:
        raise Failure("%s is a merged image (bootloader at 0x0): OTA takes the app image, "
                      "firmware/*-app.bin (micropython.bin in the build directory)" % path)


def bar(done, total, width=30):
    filled = width * done // total
    sys.stderr.write("\r[%s%s] %3d%% %d/%d KB" % ("#" * filled, "-" * (width - filled), 100 * done // total,
                                                 done // 1024, total // 1024))
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def wait_back(host, before, t0, expect_new_slot):
    """Until the board answers again after its reset; returns its status."""
    went_down = False
    while time.monotonic() - t0 < BACK_WITHIN_S:
        try:
            info = status(host)
        except Failure:
            went_down = True
            time.sleep(1)  # polling a rebooting board
            continue
        restarted = went_down or info.get("uptime_s", 1 << 30) < before.get("uptime_s", 0)
        if restarted:
            if expect_new_slot and before.get("slot") and info.get("slot") == before.get("slot"):
                raise Failure("the board came back on its old firmware (%s): the new one was rolled back "
                              "(it did not confirm; see docs/ota.md)" % describe(info))
            return info
        time.sleep(0.5)  # not restarted yet
    raise Failure("the board did not come back within %d s: it may still be joining Wi-Fi; "
                  "check with make repl, recovery: docs/ota.md" % BACK_WITHIN_S)


def cmd_ota(host, path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise Failure("cannot read FIRMWARE=%s: %s" % (path, e.strerror))
    check_image(data, path)
    before = status(host)
    print("%s runs %s; sending %s (%d KB)" % (host, describe(before), os.path.basename(path), len(data) // 1024))
    headers = dict(_auth_headers(), **{"X-Sha256": hashlib.sha256(data).hexdigest(),
                                       "Content-Type": "application/octet-stream"})
    t0 = time.monotonic()
    code, _, body = request(host, "POST", PREFIX + "/firmware", data, headers,
                            progress=bar if sys.stderr.isatty() or os.environ.get("OTA_PROGRESS") else None,
                            timeout=120)
    if code != 200:
        raise Failure(explain(code, body, host))
    print("written and verified in %.1f s; the board restarts into it" % (time.monotonic() - t0))
    info = wait_back(host, before, time.monotonic(), True)
    print("%s is back: %s" % (host, describe(info)))


def cmd_deploy(host, files):
    before = status(host)
    for spec in files:
        local, _, name = spec.partition("=")
        name = name or os.path.basename(local)
        try:
            with open(local, "rb") as f:
                data = f.read()
        except OSError as e:
            raise Failure("cannot read %s: %s" % (local, e.strerror))
        code, _, body = request(host, "PUT", PREFIX + "/files?name=" + name, data,
                                dict(_auth_headers(), **{"Content-Type": "application/octet-stream"}))
        if code != 200:
            raise Failure("%s: %s" % (name, explain(code, body, host)))
        print("%s -> %s:%s (%d bytes)" % (local, host, name, len(data)))
    ssid = os.environ.get("WIFI_SSID")
    if ssid:
        wifi = json.dumps({"ssid": ssid, "password": os.environ.get("WIFI_PASSWORD", "")}).encode()
        code, _, body = request(host, "POST", PREFIX + "/wifi", wifi,
                                dict(_auth_headers(), **{"Content-Type": "application/json"}))
        if code != 200:
            raise Failure("Wi-Fi settings: " + explain(code, body, host))
        print("Wi-Fi settings saved for %r" % ssid)
    code, _, body = request(host, "POST", PREFIX + "/restart", b"", _auth_headers())
    if code != 200:
        raise Failure("restart: " + explain(code, body, host))
    info = wait_back(host, before, time.monotonic(), False)
    print("%s restarted: %s" % (host, describe(info)))


def main(argv):
    if len(argv) < 2 or argv[0] not in ("ota", "deploy", "status"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        if argv[0] == "ota" and len(argv) == 3:
            cmd_ota(argv[1], argv[2])
        elif argv[0] == "deploy" and len(argv) >= 3:
            cmd_deploy(argv[1], argv[2:])
        elif argv[0] == "status":
            print(describe(status(argv[1])))
        else:
            print(__doc__.strip(), file=sys.stderr)
            return 2
    except Failure as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nerror: interrupted (the board keeps its old firmware unless the upload had finished)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
