"""Under heap pressure every connection gets an answer: its own 4xx, or a 503
with Retry-After, never a close without one; and a 300 KB upload goes through
in a 64 KB heap. The app (tests/apps/heap_app.py) has routes, forms, static
files, a WebSocket route and multipart uploads; 'mpy' runs it on the .mpy
package at 96k (every feature loaded: the heap is nearly full) and 64k."""
import os
import random
import threading
import time

import pytest
from helpers import ROOT, read_response

BAD = [  # (what, request, its answer)
    ("long URL", b"GET /" + b"a" * 3000 + b" HTTP/1.1\r\nHost: t\r\n\r\n", 414),
    ("longer URL", b"GET /" + b"a" * 8000 + b" HTTP/1.1\r\nHost: t\r\n\r\n", 414),
    ("huge header", b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + b"b" * 3000 + b"\r\n\r\n", 431),
    ("16 KB header", b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + b"b" * 16000 + b"\r\n\r\n", 431),
    ("40 headers", b"GET / HTTP/1.1\r\nHost: t\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(40)) + b"\r\n", 431),
    ("bad CL", b"POST /form HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\nhello", 400),
    ("two CLs", b"POST /form HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 400),
    ("CL too big", b"POST /form HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999\r\n\r\nhello", 413),
    ("CL and TE", b"POST /form HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400),
    ("TE gzip", b"POST /form HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
    ("NUL in path", b"GET /a\x00b HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    ("%00 in path", b"GET /a%00b HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    ("TLS hello", b"\x16\x03\x01\x02\x00\r\n\r\n", 400),
]
FORM = (b"POST /form HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\na=1&b=2")
STATIC = b"GET /static/index.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
WS = (b"GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
      b"\x88\x82abcd" + bytes((0x03 ^ 0x61, 0xE8 ^ 0x62)))  # then a masked close frame (1000)


def answer(out):
    """The status of a raw answer; 503 counts only with Retry-After; None: no answer."""
    if not out.startswith(b"HTTP/1.1 ") or b"\r\n\r\n" not in out:
        return None
    status = int(out[9:12])
    if status == 503 and b"\r\nRetry-After: " not in out.split(b"\r\n\r\n")[0]:
        return "503 without Retry-After"
    return status


def start(start_app, tmp_path, heap):
    www = tmp_path / "www"
    www.mkdir()
    (www / "index.html").write_bytes(b"<p>hi</p>" * 100)
    up = tmp_path / "up"
    up.mkdir()
    app = start_app("heap_app.py", heap=heap, env={"STATIC_DIR": str(www), "UPLOAD_DIR": str(up)})
    return app, up


MOST = 3.0  # seconds: an answer slower than this counts as none (a stall is 10 s, wait_timeout)


def ask(app, what, req, want, strict, wrong):
    """One raw request: its answer (strict) or a 503 with Retry-After, within
    MOST seconds, else (what, want, got, seconds) goes into wrong; True on a 503."""
    t = time.monotonic()
    got = answer(app.raw(req))
    took = time.monotonic() - t
    if (got != want and (strict or got != 503)) or took > MOST:
        wrong.append((what, want, got, round(took, 2)))
    return got == 503


def check_bad(app, rounds, strict):
    """Each malformed request gets its answer (strict) or a 503 with Retry-After;
    returns how many got the 503."""
    wrong = []
    busy = 0
    for _ in range(rounds):
        for what, req, want in BAD:
            busy += ask(app, what, req, want, strict, wrong)
    assert not wrong, wrong
    print("%s: %d of %d malformed requests got 503" % (app.runtime, busy, rounds * len(BAD)))
    return busy


def check_together(app, strict, clients=5, rounds=2):
    """`clients` clients at once, each sending the malformed requests, a form,
    a static file and a WebSocket in an order of its own, `rounds` times:
    every one answered (or 503 with Retry-After) within MOST seconds. (Each
    WebSocket used to cost the server's pool its request object for good; at
    96k the heap then had no piece for a new one, and every newcomer waited
    10 s in the backlog for a 503: 7 runs in 10 stalled so.)"""
    wrong = []
    busy = []

    def client(k):
        items = BAD + [("form", FORM, 200), ("static", STATIC, 200), ("WebSocket", WS, 101)]
        rnd = random.Random(k)
        for _ in range(rounds):
            rnd.shuffle(items)
            for what, req, want in items:
                busy.append(what if ask(app, what, req, want, strict, wrong) else None)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    busy503 = sorted(what for what in busy if what)
    print("%s: %d clients at once: %d of %d answers were 503 %s" % (app.runtime, clients, len(busy503), len(busy), busy503))
    assert not wrong and len(busy) == clients * rounds * (len(BAD) + 3), (len(busy), wrong[:10])


def upload(app, up, size=300 * 1024):
    data = os.urandom(size)
    b = b"heapBoundary7MA4YWxk"
    body = (b"--" + b + b"\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nfirmware\r\n--" + b +
            b"\r\nContent-Disposition: form-data; name=\"f\"; filename=\"fw.bin\"\r\n"
            b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n--" + b + b"--\r\n")
    head = (b"POST /upload HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: multipart/form-data; "
            b"boundary=" + b + b"\r\nContent-Length: %d\r\n\r\n" % len(body))
    out = app.raw(head + body, timeout=30)
    got = answer(out)
    if got == 200:
        assert out.endswith(b"note=firmware f %d" % size), out[-200:]
        assert (up / "f").read_bytes() == data
        (up / "f").unlink()
    return got


def test_every_malformed_request_gets_its_answer_with_every_feature_loaded(start_app, tmp_path):
    # mpy: 96k, where every module the app uses fills the heap to within a few KB
    heap = "96k" if start_app.runtime in ("mpy", "frozen") else None
    app, up = start(start_app, tmp_path, heap)
    assert answer(app.raw(FORM)) == 200
    assert answer(app.raw(STATIC)) == 200
    assert answer(app.raw(WS, timeout=5)) == 101
    # in the nearly full heap, a request may find no room for its head: 503
    check_bad(app, 2, strict=not heap)
    check_together(app, strict=not heap)
    # a client that sends a refused 2 MB body whole before it reads (http.client):
    # the server drops the body while it comes, so no reset cuts the answer off
    big = b"x" * 2000000
    for _ in range(3):
        assert app.request("POST", "/form", body=big)[0] == 413
    # the heap is full here on 'mpy': an answer of some kind; elsewhere: the upload
    got = upload(app, up)
    assert got == 200 or (heap and got == 503), got
    assert app.request("GET", "/")[0] == 200


def test_a_300_kb_upload_and_malformed_requests_in_a_64_kb_heap(start_app, tmp_path):
    if start_app.runtime not in ("mpy", "frozen"):
        pytest.skip("the small heap is the compiled package's")
    app, up = start(start_app, tmp_path, "64k")
    assert upload(app, up) == 200
    # forms, static files and the WebSocket code load on first use: in 64 KB
    # (64-bit objects) there may be no room for them: 503 with Retry-After,
    # and the import is not even tried (a failed one would keep its names,
    # and a second upload found no room); the same after the error answers
    for _ in range(2):
        got = [answer(app.raw(STATIC)), answer(app.raw(WS, timeout=5)), answer(app.raw(FORM))]
        print("%s 64k: static, WebSocket, form: %s" % (app.runtime, got))
        assert got[0] in (200, 503) and got[1] in (101, 503) and got[2] in (200, 503), got
        check_bad(app, 1, strict=False)
    assert upload(app, up) == 200
    assert app.request("GET", "/")[0] == 200


def test_20_clients_at_once_in_a_small_heap(start_app):
    """As `ab -n 2000 -c 20` (bench/run.py's survival figure), bounded: 20
    clients each make one request per connection, 300 in all, against the
    hello server in a small heap. Connections the heap has no room for wait
    in the listen backlog; every one gets its 200, or now and then a 503 with
    Retry-After (a heap in pieces), never nothing. The smallest heaps that
    survive are 48k (.mpy) and 32k (frozen), docs/limits.md; .mpy runs here
    at 56k, since 48k is within a KB of failing (1 KB more code in server.py
    and nearly every answer is a 503)."""
    heap = {"mpy": "56k", "frozen": "32k"}.get(start_app.runtime)
    if heap is None:
        pytest.skip("the small heap is the compiled package's")
    app = start_app(os.path.join(ROOT, "bench", "servers", "hello.py"), heap=heap)
    got = []

    def client():
        for _ in range(15):
            try:
                with app.connect(timeout=10) as s:
                    s.sendall(b"GET / HTTP/1.0\r\nHost: t\r\n\r\n")
                    status, headers, body, _ = read_response(s, 10)
                    got.append((status, body) if status != 503 else (503, headers.get("retry-after")))
            except OSError as e:
                got.append((repr(e), b""))

    threads = [threading.Thread(target=client) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    busy = got.count((503, "1"))
    wrong = [g for g in got if g != (200, b"Hello, world!") and g != (503, "1")]
    print("%s %s: %d of %d answers were 503" % (start_app.runtime, heap, busy, len(got)))
    # (the .mpy hello server got a 503 for 1 to 4 of 2000 `ab` requests in
    # 1 to 3 of 20 heap layouts at 56k; before the fixes, at 48k, every one)
    assert len(got) == 300 and not wrong and busy <= 5, (len(got), busy, wrong[:5])
    assert app.proc.poll() is None
