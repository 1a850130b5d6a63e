"""Heap and CPU cost of HTTPS connections on the MicroPython unix port.

    .venv/bin/python bench/tls_cost.py [N]

Starts tests/apps/https_app.py on .venv/bin/micropython (package from source)
with a fresh EC (P-256) and RSA-2048 self-signed certificate, and plain HTTP
for comparison; opens N keep-alive connections (each makes one request, so
its handshake is done) and reports per connection: the MicroPython heap
(gc.mem_alloc() after gc.collect(), read by a request on the last
connection), the process's C heap (mbedTLS buffers: libc malloc on the unix
port; RssAnon of /proc/PID/status), and the server CPU time per handshake
(utime+stime of /proc/PID/stat over 40 new connections).
"""
import http.client
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MICROPYTHON = os.path.join(os.path.dirname(sys.executable), "micropython")
sys.path.insert(0, os.path.join(ROOT, "tests"))
from helpers import free_port, wait_for_port  # noqa: E402
from test_https import make_cert  # noqa: E402


def rss_anon(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(kind, cert, key, n):
    port = free_port()
    env = dict(os.environ, MICROPYPATH=ROOT + ":.frozen", AIOWEBSERVER_PORT=str(port),
               AIOWEBSERVER_HOST="127.0.0.1")
    if cert:
        env.update(CERT=cert, KEY=key)
    proc = subprocess.Popen([MICROPYTHON, "-X", "heapsize=1m", os.path.join(ROOT, "tests", "apps", "https_app.py")],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        assert wait_for_port(port, proc)
        ctx = ssl.create_default_context(cafile=cert) if cert else None

        def conn():
            if ctx:
                return http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
            return http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def heap(c):
            c.request("GET", "/heap")
            return int(c.getresponse().read().split()[0])

        first = conn()
        h0, r0 = heap(first), rss_anon(proc.pid)
        conns = [conn() for _ in range(n)]
        for c in conns:
            heap(c)
        h1, r1 = heap(first), rss_anon(proc.pid)
        for c in conns:
            c.close()
        t0 = cpu_seconds(proc.pid)
        w0 = time.monotonic()
        for _ in range(40):
            c = conn()
            c.request("GET", "/")
            c.getresponse().read()
            c.close()
        cpu = (cpu_seconds(proc.pid) - t0) / 40
        wall = (time.monotonic() - w0) / 40
        first.close()
        return (h1 - h0) / n, (r1 - r0) / n, cpu, wall
    finally:
        proc.terminate()
        proc.wait()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    d = tempfile.mkdtemp()
    print("| connection | MicroPython heap | C heap (mbedTLS) | server CPU per new connection | wall |")
    print("|---|---:|---:|---:|---:|")
    for kind in ("plain", "ec", "rsa"):
        cert, key = make_cert(d, kind) if kind != "plain" else (None, None)
        h, r, cpu, wall = measure(kind, cert, key, n)
        print("| %s | %d B | %d B | %.1f ms | %.1f ms |" % (
            {"plain": "plain HTTP", "ec": "TLS, EC P-256", "rsa": "TLS, RSA-2048"}[kind], h, r, cpu * 1000, wall * 1000))


if __name__ == "__main__":
    main()
