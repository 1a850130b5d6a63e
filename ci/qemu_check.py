"""Host side of ci/qemu-test.sh (Python 3 standard library only).

  qemu_check.py repl SERIAL_PORT SECONDS   wait for the MicroPython prompt on the
                                           emulated chip's serial (a TCP socket)
  qemu_check.py http HTTP_PORT SECONDS     check the deployed test main.py through
                                           QEMU's hostfwd; prints one line per check
                                           and the figures as the last line

Every wait is bounded; exit status 0 only when every check passed.
"""
import base64
import hashlib
import json
import os
import socket
import struct
import sys
import threading
import time

HOST = "127.0.0.1"
failures = []


def check(name, ok, detail=""):
    print("%s %s%s" % ("ok  " if ok else "FAIL", name, ": " + detail if detail else ""), flush=True)
    if not ok:
        failures.append(name)
    return ok


def wait_repl(port, seconds):
    deadline = time.monotonic() + seconds
    seen = b""
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=2) as s:
                s.settimeout(1)
                while time.monotonic() < deadline:
                    s.sendall(b"\r\x03\x03\r")
                    end = time.monotonic() + 2
                    while time.monotonic() < end:
                        try:
                            data = s.recv(4096)
                        except socket.timeout:
                            continue
                        if not data:
                            raise OSError("closed")
                        seen = (seen + data)[-4096:]
                        if b">>> " in seen:
                            return True
        except OSError:
            time.sleep(0.5)  # QEMU not listening yet: poll
    print("the serial's last output:\n" + seen.decode("utf-8", "replace")[-400:], flush=True)
    return False


def read_response(sock, timeout):
    """(status, headers, body) of one answer; body read by Content-Length,
    chunked, or until close."""
    sock.settimeout(timeout)
    f = sock.makefile("rb")
    line = f.readline()
    if not line:
        return None, {}, b""
    status = int(line.split()[1])
    headers = {}
    while True:
        h = f.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        k, _, v = h.decode("latin-1").partition(":")
        headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        body = f.read(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int(f.readline().split(b";")[0], 16)
            body += f.read(size)
            f.readline()
            if not size:
                break
    else:
        body = f.read()
    return status, headers, body


def get(port, path, timeout=30):
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: qemu\r\nConnection: close\r\n\r\n")
        return read_response(s, timeout)


def wait_http(port, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            status, _, _ = get(port, "/limits", timeout=5)
            if status == 200:
                return True
        except (OSError, ValueError, IndexError):
            pass
        time.sleep(0.5)  # not serving yet: poll
    return False


def websocket_echo(port, messages):
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection((HOST, port), timeout=30) as s:
        s.sendall(("GET /echo HTTP/1.1\r\nHost: qemu\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % key).encode())
        f = s.makefile("rb")
        status = int(f.readline().split()[1])
        headers = {}
        while True:
            h = f.readline()
            if h in (b"\r\n", b""):
                break
            k, _, v = h.decode().partition(":")
            headers[k.strip().lower()] = v.strip()
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        if status != 101 or headers.get("sec-websocket-accept") != accept:
            return "handshake: %s %s" % (status, headers)
        echoed = []
        for text in messages:
            data = text.encode()
            mask = os.urandom(4)
            if len(data) < 126:
                head = bytes([0x81, 0x80 | len(data)]) + mask
            else:
                head = bytes([0x81, 0x80 | 126]) + struct.pack(">H", len(data)) + mask
            s.sendall(head + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
            b0, b1 = f.read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", f.read(2))[0]
            echoed.append(f.read(n).decode())
        s.sendall(bytes([0x88, 0x80]) + os.urandom(4))  # close
        return echoed


# Host seconds a slow client waits for its 408/503. The server's timeouts run in
# guest time, which under -icount 3 falls behind the host clock while the guest
# is busy (20 clients trickling a byte a second each): with 6 served and 2
# waiting, 20 clients need about 3 rounds of head_timeout (10 guest s); 60 host
# s saw only 2 rounds (12 x 408) on a shared 2-core machine.
SLOW_WAIT = 150


def slow_clients(port, count, normal_path):
    """count clients that send their head a byte a second, then one normal
    request: (normal status, its seconds, outcomes of the slow ones)."""
    outcomes = [None] * count
    socks = []
    for i in range(count):
        try:
            s = socket.create_connection((HOST, port), timeout=5)
            s.sendall(b"GET / HTTP/1.1\r\nHost: slow\r\n")
            socks.append((i, s))
        except OSError as e:
            outcomes[i] = "connect failed: %s" % e

    def trickle(i, s):
        deadline = time.monotonic() + SLOW_WAIT
        try:
            s.settimeout(1.0)
            for byte in b"X-Slow: " + b"y" * 200:
                if time.monotonic() > deadline:
                    break
                s.sendall(bytes([byte]))
                try:  # an answer (408, 503) or a close ends it; else a byte a second
                    data = s.recv(256)
                except socket.timeout:
                    continue
                outcomes[i] = data.split(b"\r\n")[0].decode("latin-1") if data else "closed"
                return
            outcomes[i] = "still open after %d s" % SLOW_WAIT
        except OSError as e:
            outcomes[i] = "reset (%s)" % e.__class__.__name__
        finally:
            s.close()

    threads = [threading.Thread(target=trickle, args=(i, s), daemon=True) for i, s in socks]
    for t in threads:
        t.start()
    time.sleep(1.0)  # the slow clients hold their connections (load shape, not synchronisation)
    t0 = time.monotonic()
    try:
        status = get(port, normal_path, timeout=30)[0]
    except OSError as e:
        status = str(e)
    took = time.monotonic() - t0
    for t in threads:
        t.join(SLOW_WAIT + 15)
    return status, took, outcomes


def http_checks(port, seconds):
    if not check("the board serves through the hostfwd", wait_http(port, seconds), "port %d" % port):
        return
    status, headers, body = get(port, "/")
    check("the device template's page", status == 200 and b"<table>" in body and b"ethernet" in body
          and headers.get("content-type", "").startswith("text/html"), "%s %r" % (status, body[:80]))
    status, headers, body = get(port, "/status.json")
    try:
        info = json.loads(body)
    except ValueError:
        info = {}
    check("the device template's JSON", status == 200 and info.get("ip", "").count(".") == 3
          and info.get("version", "").startswith("micropython") and isinstance(info.get("heap_free"), int),
          "%s %s" % (status, info))
    status, _, body = get(port, "/limits")
    lim = json.loads(body)
    check("the esp32 port's default limits", (lim["max_connections"], lim["max_waiting"]) == (6, 2), str(lim))
    status, _, body = get(port, "/no/such/page")
    check("a 404", status == 404, str(status))
    status, headers, body = get(port, "/events")
    events = [line for line in body.decode().splitlines() if line.startswith("data:")]
    check("an SSE stream", status == 200 and headers.get("content-type", "").startswith("text/event-stream")
          and events == ["data: tick 0", "data: tick 1", "data: tick 2"], "%s %s" % (status, events))
    echoed = websocket_echo(port, ["hello", "x" * 200, "\u00e9t\u00e9"])
    check("a WebSocket echo", echoed == ["hello", "x" * 200, "\u00e9t\u00e9"], str(echoed)[:120])
    status, took, outcomes = slow_clients(port, 20, "/status.json")
    ended = [o for o in outcomes if o and not o.startswith("still open")]
    summary = {}
    for o in outcomes:
        summary[o] = summary.get(o, 0) + 1
    check("20 slow clients, one normal client answered fast", status == 200 and took < 5.0,
          "normal: %s in %.2f s" % (status, took))
    check("every slow client was answered or closed", len(ended) == 20, str(summary))
    # the board still serves normally afterwards
    check("serving after the slow clients", get(port, "/hello")[0] == 200)
    status, _, body = get(port, "/bench?n=200", timeout=600)
    try:
        b = json.loads(body)
    except ValueError:
        b = {}
    names = ["aiowebserver_close", "aiowebserver_keepalive", "raw_close", "raw_keepalive"]
    if "microdot_close" in b:
        names.append("microdot_close")
    check("the in-guest benchmark", status == 200 and all(b.get(k + "_ok") == b.get("n") for k in names), str(b))
    return lim, b


def heap_text(value):
    """'8,416 B' for a number of bytes; what the board said (n/a ...) else."""
    return "%s B" % format(value, ",") if isinstance(value, int) else str(value)


def readme_table(path, lim, b, note):
    """Rewrite the C3 table between <!-- c3:start --> and <!-- c3:end --> in path."""
    md = "microdot_close" in b

    def refs(key):
        text = "raw asyncio %d" % b["raw_" + key]
        ratio = "%.2f× vs raw" % (b["aiowebserver_" + key] / b["raw_" + key])
        if md and "microdot_" + key in b:
            text += " · microdot %d" % b["microdot_" + key]
            ratio += ", %.2f× vs microdot" % (b["aiowebserver_" + key] / b["microdot_" + key])
        return text, ratio

    rows = [
        "| ESP32-C3 (QEMU, guest time) | aiowebserver | references (same image, same run) | ratio |",
        "|---|---|---|---|",
        "| one connection per request, req/s | %d | %s | %s |" % ((b["aiowebserver_close"],) + refs("close")),
        "| keep-alive, req/s | %d | %s | %s |" % ((b["aiowebserver_keepalive"],) + refs("keepalive")),
        "| heap after `import aiowebserver` + one route (frozen) | %s B | %s | |" % (
            format(lim["heap_import"], ","),
            "microdot (.mpy) %s B" % format(b["microdot_heap_import"], ",") if md else ""),
        "| heap in use after the first request: a hello app | %s | raw asyncio server %s | |" % (
            heap_text(lim.get("heap_hello")), heap_text(lim.get("heap_raw"))),
        "| heap in use after the first request: the device template (main.py's own objects too) | %s B | | |"
        % format(b["heap_serving"], ","),
        "",
        "Espressif's QEMU (`-machine esp32c3 -icount 3`: guest time advances with the",
        "instructions, so the figures do not depend on the host), the `BOARD_VARIANT=QEMU`",
        "image with the package frozen, %d requests per figure from a client in the same" % b["n"],
        "MicroPython over lwIP loopback, timed with `time.ticks_us()`. %s" % note,
        "Regenerate with `QEMU=qemu-system-riscv32 QEMU_TEST_README=README.md ci/qemu-test.sh IMAGE`",
        "(its last line gives the same figures; the workflow's qemu job prints them).",
    ]
    with open(path, encoding="utf-8") as f:
        text = f.read()
    start, end = "<!-- c3:start -->", "<!-- c3:end -->"
    if start not in text or end not in text:
        print("qemu-test: %s has no %s ... %s block: not updated" % (path, start, end))
        return
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    with open(path, "w", encoding="utf-8") as f:
        f.write(head + start + "\n" + "\n".join(rows) + "\n" + end + tail)
    print("qemu-test: the C3 table in %s updated" % path)


def main():
    what, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    if what == "repl":
        sys.exit(0 if wait_repl(port, seconds) else 1)
    result = None
    try:
        result = http_checks(port, seconds)
    except Exception as e:  # noqa: BLE001  any broken answer is a failed check
        check("the checks ran to the end", False, "%s: %s" % (e.__class__.__name__, e))
    if failures or not result:
        print("qemu-test: FAIL (%s)" % ", ".join(failures))
        sys.exit(1)
    lim, b = result
    if os.environ.get("QEMU_TEST_README"):
        readme_table(os.environ["QEMU_TEST_README"], lim, b, os.environ.get("QEMU_TEST_NOTE", ""))
    print("qemu-test: pass; heap: import + one route %d B, in use after the first request %s (hello app), "
          "%s (raw asyncio server), %d B (device template); "
          "aiowebserver %d req/s one connection each, %d keep-alive; raw asyncio %d / %d "
          "(guest time, %d requests each)" % (
              lim["heap_import"], heap_text(lim.get("heap_hello")), heap_text(lim.get("heap_raw")), b["heap_serving"],
              b["aiowebserver_close"], b["aiowebserver_keepalive"],
              b["raw_close"], b["raw_keepalive"], b["n"]))


if __name__ == "__main__":
    main()
