"""Host side of bench/c3_tls.sh (Python 3 standard library only).

    c3_tls.py KIND HTTP_PORT      (KIND: ec or rsa, for the report; run by bench/c3_tls.sh)

Talks to bench/c3_tls_main.py on the emulated ESP32-C3 through QEMU's hostfwd:
1. plain HTTP: requests per second over one keep-alive connection (one after
   the other, and pipelined);
2. GET /tls: the guest switches port 80 to HTTPS with its cert.pem/key.pem;
3. opens TLS connections one by one, each kept alive after one GET /heap
   (which the guest answers with its heaps once that connection's handshake
   is done), until one fails or MAX_CONNS are open;
4. closes them; NEW new connections one after the other: the handshake time;
5. requests per second over one kept-alive TLS connection (one after the
   other, and pipelined: the guest answers them back to back).
Certificate verification is off (a self-signed certificate). Guest figures
come from the guest (time.ticks_us/ticks_ms); "host s" are this host's wall
clock. Prints one JSON line (the last line) with every figure.
"""
import http.client
import json
import socket
import ssl
import sys
import time

HOST = "127.0.0.1"
MAX_CONNS = 12  # the guest has 10 lwIP sockets: a connection beyond them fails first
NEW = 5  # handshakes timed one after the other
RATE_N = 50  # requests over one keep-alive connection
TIMEOUT = 180  # host seconds for one answer (an RSA handshake in software is slow in QEMU)


def client_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the guest's certificate is self-signed
    return ctx


def connect(port, tls, timeout=TIMEOUT):
    if tls:
        return http.client.HTTPSConnection(HOST, port, context=client_context(), timeout=timeout)
    return http.client.HTTPConnection(HOST, port, timeout=timeout)


def get(conn, path):
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        raise OSError("%s: HTTP %d %r" % (path, r.status, body[:80]))
    return json.loads(body) if path == "/heap" else body


def wait_serving(port, tls, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        c = connect(port, tls, timeout=60)
        try:
            get(c, "/heap")
            return c
        except (OSError, ssl.SSLError, http.client.HTTPException, ValueError):
            c.close()
            time.sleep(1)  # not serving yet (booting, or switching to TLS): poll
    raise SystemExit("c3_tls: no answer on port %d within %d s" % (port, seconds))


def rate(conn):
    # RATE_N requests on one connection: (req/s in guest time, req/s in host time)
    t0, w0 = get(conn, "/heap")["ticks_ms"], time.monotonic()
    for _ in range(RATE_N):
        assert get(conn, "/hello") == b"hello"
    t1, w1 = get(conn, "/heap")["ticks_ms"], time.monotonic()
    return round(RATE_N * 1000 / max(1, t1 - t0), 1), round(RATE_N / (w1 - w0), 1)


def read_answer(f):
    # one answer from a buffered reader: its body (Content-Length or chunked)
    status = int(f.readline().split()[1])
    length, chunked = 0, False
    while True:
        h = f.readline().lower()
        if h in (b"\r\n", b""):
            break
        if h.startswith(b"content-length:"):
            length = int(h[15:])
        elif h.startswith(b"transfer-encoding:") and b"chunked" in h:
            chunked = True
    body = b""
    if chunked:
        while True:
            size = int(f.readline().split(b";")[0], 16)
            body += f.read(size + 2)[:size]
            if not size:
                break
    else:
        body = f.read(length)
    if status != 200:
        raise OSError("HTTP %d" % status)
    return body


def pipelined(port, tls):
    # RATE_N requests sent at once on one new connection (pipelining), between
    # two GET /heap: the guest answers them back to back, without waiting for
    # this host, so the guest time is the server's work alone. req/s in guest time.
    sock = socket.create_connection((HOST, port), timeout=TIMEOUT)
    if tls:
        sock = client_context().wrap_socket(sock)
    with sock:
        one = b"GET %s HTTP/1.1\r\nHost: c3\r\n\r\n"
        sock.sendall(one % b"/heap" + one % b"/hello" * RATE_N + one % b"/heap")
        f = sock.makefile("rb")
        t0 = json.loads(read_answer(f))["ticks_ms"]
        for _ in range(RATE_N):
            assert read_answer(f) == b"hello"
        t1 = json.loads(read_answer(f))["ticks_ms"]
    return round(RATE_N * 1000 / max(1, t1 - t0), 1)


def main():
    kind, port = sys.argv[1], int(sys.argv[2])
    out = {"kind": kind}
    plain = wait_serving(port, False, 120)
    out["plain_keepalive_guest"], out["plain_keepalive_host"] = rate(plain)
    out["plain_pipelined_guest"] = pipelined(port, False)
    plain.request("GET", "/tls", headers={"Connection": "close"})
    plain.getresponse().read()
    plain.close()
    print("c3_tls: plain HTTP keep-alive %s req/s (guest time), %s (host); pipelined %s (guest time)" % (
        out["plain_keepalive_guest"], out["plain_keepalive_host"], out["plain_pipelined_guest"]), flush=True)

    first = wait_serving(port, True, 120)
    h = get(first, "/heap")
    out["cipher"] = first.sock.cipher()
    out["before"], out["context"] = h["before"], h["context"]
    steps = [h]  # steps[k-1]: the heaps with k TLS connections open
    conns = [first]
    print("c3_tls: %s, %s" % (kind, out["cipher"]), flush=True)
    print("c3_tls: before ssl %s; with the context %s" % (h["before"], h["context"]), flush=True)
    print("c3_tls: 1 connection: %s" % {k: h[k] for k in ("gc_alloc", "gc_free", "idf", "conns")}, flush=True)
    out["failed"] = None
    while len(conns) < MAX_CONNS:
        c = connect(port, True)
        w0 = time.monotonic()
        try:
            h = get(c, "/heap")
        except (OSError, ssl.SSLError, http.client.HTTPException, ValueError) as e:
            c.close()
            out["failed"] = {"at": len(conns) + 1, "error": repr(e), "host_s": round(time.monotonic() - w0, 1)}
            break
        conns.append(c)
        steps.append(h)
        if h["conns"] < len(conns):  # the server closed an idle one for it (short of heap)
            out["failed"] = {"at": len(conns), "error": "an idle connection closed for it", "host_s": 0}
            break
        print("c3_tls: %d connections: %s handshake+request %d guest ms" % (
            len(conns), {k: h[k] for k in ("gc_alloc", "gc_free", "idf", "conns")}, h["times_us"][-1] // 1000), flush=True)
    after = get(conns[-1], "/heap")  # the guest's view after the failure
    out["after_fail"] = {k: after.get(k) for k in ("gc_alloc", "gc_free", "idf", "conns", "wraps", "fails", "errors")}
    print("c3_tls: stopped: %s; server: %s" % (out["failed"], out["after_fail"]), flush=True)
    out["steps"] = [{k: s[k] for k in ("gc_alloc", "gc_free", "idf", "conns")} for s in steps]
    out["open_times_us"] = after["times_us"][:len(conns)]
    for c in conns:
        c.close()

    new = []
    for _ in range(NEW):
        c = connect(port, True)
        w0 = time.monotonic()
        h = get(c, "/heap")
        new.append((h["times_us"][-1], round(time.monotonic() - w0, 3)))
        c.close()
    out["new_guest_us"] = [t for t, _ in new]
    out["new_host_s"] = [w for _, w in new]
    print("c3_tls: %d new connections one after the other: handshake+request %s guest ms (host %s s)" % (
        NEW, [t // 1000 for t, _ in new], out["new_host_s"]), flush=True)
    first = connect(port, True)
    out["tls_keepalive_guest"], out["tls_keepalive_host"] = rate(first)
    out["tls_pipelined_guest"] = pipelined(port, True)
    print("c3_tls: TLS keep-alive %s req/s (guest time), %s (host); pipelined %s (guest time)" % (
        out["tls_keepalive_guest"], out["tls_keepalive_host"], out["tls_pipelined_guest"]), flush=True)
    out["end"] = {k: v for k, v in get(first, "/heap").items() if k in ("gc_alloc", "gc_free", "idf", "conns")}
    first.close()
    print(json.dumps(out))


if __name__ == "__main__":
    try:
        main()
    except (OSError, socket.timeout) as e:
        raise SystemExit("c3_tls: %r" % e)
