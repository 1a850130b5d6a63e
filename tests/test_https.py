"""HTTPS: start(ssl=ctx) as Python's ssl, http.client and websockets see it."""
import asyncio
import http.client
import os
import socket
import ssl
import subprocess
import time

import pytest
from websockets.asyncio.client import connect


from helpers import start_compiled

# On the mpy runtime (.mpy files on the 64-bit unix port: bytecode, functions
# and qstrs in the heap) the HTTPS app with everything (sessions, SSE, WebSocket)
# holds 81 KB once started: that runtime runs instead the apps a user would
# write for a small heap, TLS alone, TLS and SSE, TLS and WebSocket, each at
# the smallest of these heaps it passes at (test_tls_apps_on_mpy; what fails
# below them: docs/https.md, "The tests' heaps").
MPY_HEAP = {"": "64k", "sse": "72k", "ws": "104k"}


def make_cert(directory, kind):
    """A self-signed certificate for 127.0.0.1 made by the documented openssl command."""
    key, cert = os.path.join(directory, kind + "-key.pem"), os.path.join(directory, kind + "-cert.pem")
    newkey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"] if kind == "ec" else ["-newkey", "rsa:2048"]
    subprocess.run(
        ["openssl", "req", "-x509"] + newkey + ["-nodes", "-days", "30", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    """{'ec': (cert, key), 'rsa': (cert, key)}, PEM files made at test time (no key in the repo)."""
    d = str(tmp_path_factory.mktemp("certs"))
    return {kind: make_cert(d, kind) for kind in ("ec", "rsa")}


def https(app, cert, timeout=10):
    ctx = ssl.create_default_context(cafile=cert)  # verifies the chain and 127.0.0.1
    return http.client.HTTPSConnection(app.host, app.port, context=ctx, timeout=timeout)


def get(conn, method, path, body=None):
    conn.request(method, path, body=body)
    r = conn.getresponse()
    return r.status, r.getheader("content-type"), r.read()


def closes(sock, timeout):
    """True when the server closes the socket within timeout (whatever it sent first)."""
    sock.settimeout(timeout)
    try:
        while sock.recv(4096):
            pass
        return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def bad_clients(app):
    """A silent client (returned with the time it came), then plain HTTP and
    garbage on the TLS port: both closed, nothing else."""
    silent = app.connect()  # connects and never says a word: its handshake times out (head_timeout 1 s)
    t0 = time.monotonic()
    plain = app.connect()
    plain.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    garbage = app.connect()
    garbage.sendall(bytes(range(256)) * 4)
    assert closes(plain, 5), "plain HTTP on the TLS port was not closed"
    assert closes(garbage, 5), "garbage on the TLS port was not closed"
    plain.close()
    garbage.close()
    return silent, t0


async def wss(app, cert, size):
    """A wss:// echo: a text message, then size random bytes (more than the 1 KB connection buffer)."""
    ctx = ssl.create_default_context(cafile=cert)
    async with connect("wss://127.0.0.1:%d/ws" % app.port, ssl=ctx, open_timeout=10) as ws:
        await ws.send("over TLS")
        assert await asyncio.wait_for(ws.recv(), 10) == "over TLS"
        blob = os.urandom(size)
        await ws.send(blob)
        assert await asyncio.wait_for(ws.recv(), 10) == blob


def still_serving(app, cert, silent, t0):
    """The silent client's handshake was timed out, and the server kept serving through it all."""
    assert closes(silent, 8), "a handshake that never finished was not timed out"
    waited = time.monotonic() - t0
    assert 0.7 < waited < 8, waited
    silent.close()
    conn = https(app, cert)
    try:
        assert get(conn, "GET", "/")[2] == b"hello over https"
    finally:
        conn.close()
    assert app.proc.poll() is None
    assert "Traceback" not in app.log(), app.log()


@pytest.mark.parametrize("kind", ["ec", "rsa"])
def test_https_keep_alive_sse_wss_and_bad_clients(start_app, certs, kind, tmp_path):
    # Everything at once, on MicroPython from source and CPython; the mpy
    # runtime runs the apps of test_tls_apps_on_mpy instead (this one, .mpy,
    # needs 128k: docs/https.md).
    if start_app.runtime == "mpy":
        pytest.skip("on .mpy: test_tls_apps_on_mpy, one app per feature at a small heap")
    if kind == "rsa" and start_app.runtime != "micropython":
        pytest.skip("RSA: on MicroPython from source is enough (on CPython it is OpenSSL's business)")
    cert, key = certs[kind]
    app = start_app("https_app.py", env={"CERT": cert, "KEY": key})
    silent, t0 = bad_clients(app)

    conn = https(app, cert)
    try:
        assert get(conn, "GET", "/") == (200, "text/html; charset=utf-8", b"hello over https")
        sock = conn.sock
        status, _, body = get(conn, "GET", "/big")  # 64 KB, chunked, many TLS records
        assert (status, len(body), body[:16]) == (200, 65536, b"0123456789abcdef")
        upload = os.urandom(15000)
        assert get(conn, "POST", "/echo", upload)[2] == upload
        conn.request("GET", "/login")
        r = conn.getresponse()
        assert r.read() == b"in" and "; Secure" in r.getheader("set-cookie"), r.getheader("set-cookie")
        assert conn.sock is sock, "keep-alive: one TLS connection for every request"
        status, ctype, body = get(conn, "GET", "/events")
        assert ctype == "text/event-stream"
        assert b"data: tick 0\n" in body and b"id: 2\ndata: tick 2\n" in body
    finally:
        conn.close()

    asyncio.run(wss(app, cert, 3000))
    still_serving(app, cert, silent, t0)


def test_plain_http_says_http(start_app, certs, tmp_path):
    app = start_compiled(start_app, tmp_path, "https_app.py", env={"PARTS": "sessions"})  # no certificate: plain HTTP
    # rq.scheme on a plain connection (the sessions' Secure cookie reads it)
    assert app.request("GET", "/")[::2] == (200, b"hello over http")
    assert "Secure" not in app.request("GET", "/login")[1]["set-cookie"]


@pytest.mark.parametrize("parts", ["", "sse", "ws"], ids=["tls", "tls+sse", "tls+wss"])
def test_tls_apps_on_mpy(start_app, certs, tmp_path, parts):
    # .mpy: the apps a user would write for a small heap, TLS alone, TLS and
    # SSE, TLS and WebSocket; what the full app does over TLS, each at MPY_HEAP.
    # (mbedTLS's buffers, ~30 kB per connection, are malloc'ed outside this
    # heap on the unix port; a TLS connection takes ~4 KB of it, the context
    # 3.2 KB.)
    if start_app.runtime != "mpy":
        pytest.skip("the full app covers TLS on the other runtimes")
    cert, key = certs["ec"]
    app = start_compiled(start_app, tmp_path, "https_app.py", env={"CERT": cert, "KEY": key, "PARTS": parts},
                         heap=MPY_HEAP[parts])
    silent, t0 = bad_clients(app)
    conn = https(app, cert)
    try:
        assert get(conn, "GET", "/") == (200, "text/html; charset=utf-8", b"hello over https")
        sock = conn.sock
        status, _, body = get(conn, "GET", "/big")  # 64 KB, chunked, many TLS records
        assert (status, len(body), body[:16]) == (200, 65536, b"0123456789abcdef")
        status, _, body = get(conn, "GET", "/heap")
        assert status == 200, body
        assert conn.sock is sock, "keep-alive: one TLS connection for every request"
        if parts == "sse":
            status, ctype, body = get(conn, "GET", "/events")
            assert (status, ctype) == (200, "text/event-stream"), body
            assert b"data: tick 0\n" in body and b"id: 2\ndata: tick 2\n" in body
    finally:
        conn.close()
    if parts == "ws":
        asyncio.run(wss(app, cert, 3000))
    still_serving(app, cert, silent, t0)


def test_short_of_c_heap_a_new_tls_connection_closes_an_idle_one(start_app, certs):
    # mbedTLS takes each connection's buffers (~23 KB here, ~24 KB on a C3)
    # from the C heap, which gc.mem_free() does not see. With the process's
    # address space capped (RLIMIT_AS) at what it has after one connection,
    # malloc runs dry after a few idle keep-alive connections (5 here, 7 on
    # the emulated C3): the next wrap_socket fails with ENOMEM. The server then
    # closes an idle keep-alive connection and tries again, as it does when
    # the Python heap is short; before, the newcomer's handshake was reset.
    if start_app.runtime != "micropython":
        pytest.skip("the unix port's mbedTLS and libc malloc: one runtime is enough")
    resource = pytest.importorskip("resource")
    cert, key = certs["ec"]
    app = start_app("https_app.py", env={"CERT": cert, "KEY": key, "PARTS": ""})
    conn = https(app, cert)
    assert get(conn, "GET", "/")[2] == b"hello over https"
    conn.close()
    with open("/proc/%d/status" % app.proc.pid) as f:
        vm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
    resource.prlimit(app.proc.pid, resource.RLIMIT_AS, (vm, resource.RLIM_INFINITY))
    conns = []
    try:
        for _ in range(12):  # more than the capped C heap holds (mallocs come from glibc's arena top: < 6)
            conn = https(app, cert)
            conns.append(conn)
            assert get(conn, "GET", "/")[2] == b"hello over https", "a new TLS connection failed"
        closed = 0
        for conn in conns[:-1]:  # the earlier ones: some were closed for the newcomers
            try:
                get(conn, "GET", "/")
            except (OSError, http.client.HTTPException):
                closed += 1
        assert 6 <= closed <= 10, closed
    finally:
        for conn in conns:
            conn.close()
    assert app.proc.poll() is None and "Traceback" not in app.log(), app.log()
