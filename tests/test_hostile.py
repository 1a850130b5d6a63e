"""Hostile clients against the real server process: the server never falls over.

Each test starts tests/apps/hostile_app.py with the limits it needs (env
HOSTILE_LIMITS) on the runtime under test ('mpy' runs the compiled package in
a 64 KB heap) and attacks it over loopback sockets.
"""
import json
import socket
import struct
import threading
import time

import pytest

from helpers import get_until_served, read_response

GET = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n"


# ---- helpers ----

def start_hostile(start_app, heap=None, **limits):
    env = {"HOSTILE_LIMITS": ",".join("%s=%d" % kv for kv in sorted(limits.items()))}
    return start_app("hostile_app.py", heap=heap, env=env)


def heap(app):
    """Live heap of the server (after gc.collect) and its open connections.

    In a 64 KB heap the probe itself may get a 503 right after an attack
    while the last connections are freed: it asks again (for at most 5 s)."""
    deadline = time.monotonic() + 5
    while True:
        status, _, body = app.request("GET", "/heap")
        if status != 503 or time.monotonic() > deadline:
            break
        time.sleep(0.05)  # polling interval, bounded by the deadline
    assert status == 200
    return json.loads(body)


def wait_until(cond, timeout, what):
    """Poll cond() until it is true; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.05)  # polling interval, bounded by the deadline
    pytest.fail("timed out after %.1f s waiting for %s" % (timeout, what))


def hold(app, n=1, ms=4000):
    """n connections busy in GET /hold?ms=..., each sure to have its slot."""
    socks = []
    for i in range(n):
        s = app.connect(timeout=10)
        s.sendall(b"GET /hold?ms=%d HTTP/1.1\r\nHost: t\r\n\r\n" % ms)
        socks.append(s)
        wait_until(lambda: app.log().count("hold: start") > i, 5, "the hold to start")
    return socks


def warm_up(app):
    """Every answer path once (lazily loaded parts of the package, pooled
    buffers), so that a heap baseline taken afterwards is stable."""
    # keep-alive clients, one more than max_connections (10 on unix): the last
    # ones wait for a slot or for heap while an idle one is closed for them
    # (waiting loads asyncio.event, on first use: issue 19)
    crowd = []
    try:
        for _ in range(11):
            crowd.append(app.connect(timeout=10))
            crowd[-1].sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            assert read_response(crowd[-1], 10)[0] in (200, 503)
    finally:
        for s in crowd:
            s.close()
    close = b"Connection: close\r\n"
    for req in (b"GET / HTTP/1.1\r\n" + close + b"\r\n", b"GET /oom HTTP/1.1\r\n\r\n", b"BAD\r\n\r\n",
                b"GET /nope HTTP/1.1\r\n" + close + b"\r\n",
                b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n" + close + b"\r\n1\r\na\r\n0\r\n\r\n"):
        assert app.raw(req).startswith(b"HTTP/1.1 ")
        app.request("GET", "/")  # and a keep-alive request after each
    with app.connect(timeout=10) as s:  # a timeout: 408
        s.sendall(b"GET / HTTP/1.1\r\n")
        s.settimeout(15)
        s.recv(100)


def only_this_connection(app):
    """True once the server serves no connection but the /heap probe itself."""
    return heap(app)["conns"] == 1


def reset(sock):
    """Close with an RST instead of a FIN (SO_LINGER 0)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def recv_all(sock, timeout):
    """Every byte until the server closes (or timeout seconds of silence)."""
    sock.settimeout(timeout)
    out = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return out
            out += chunk
    except socket.timeout:
        return out + b"<silence>"
    except ConnectionResetError:
        return out + b"<reset>"


def assert_clean_error(out, status):
    """A complete plain error answer: right status, no traceback."""
    assert out.startswith(b"HTTP/1.1 %d " % status), out[:200]
    assert b"Traceback" not in out and b"Error:" not in out.split(b"\r\n\r\n", 1)[-1]


def timed_get(app, path="/", timeout=15.0):
    """(status, seconds) of one GET on a new connection."""
    t0 = time.monotonic()
    status = app.request("GET", path, timeout=timeout)[0]
    return status, time.monotonic() - t0


# ---- 1. the concurrency cap ----

def test_past_the_cap_a_client_waits_for_a_free_slot_and_is_served(start_app):
    app = start_hostile(start_app, max_connections=2, max_waiting=4, wait_timeout=8)
    busy = hold(app, 2, ms=2500)
    t0 = time.monotonic()
    waiting = app.connect(timeout=10)
    waiting.sendall(GET)
    waiting.settimeout(0.8)
    with pytest.raises(socket.timeout):
        waiting.recv(100)  # no answer while both slots are busy
    assert read_response(waiting, 10)[:3:2] == (200, b"ok")  # served once one is free
    assert time.monotonic() - t0 > 1.5
    for s in busy:
        assert read_response(s, 10)[:3:2] == (200, b"held")
        s.close()
    waiting.close()


def test_when_the_waiting_room_is_full_a_client_gets_a_fast_503(start_app):
    app = start_hostile(start_app, max_connections=1, max_waiting=1, wait_timeout=8)
    busy, = hold(app, ms=4000)
    waiting = app.connect(timeout=10)  # takes the one waiting place
    waiting.sendall(GET)
    waiting.settimeout(0.5)
    with pytest.raises(socket.timeout):
        waiting.recv(100)
    t0 = time.monotonic()
    with app.connect(timeout=5) as third:
        out = recv_all(third, 5)
    assert_clean_error(out, 503)
    assert b"Connection: close" in out
    assert time.monotonic() - t0 < 1.0  # at once, not after wait_timeout
    busy.close()
    waiting.close()


def test_a_waiting_client_gets_503_after_wait_timeout(start_app):
    app = start_hostile(start_app, max_connections=1, max_waiting=4, wait_timeout=1)
    busy, = hold(app, ms=4000)
    t0 = time.monotonic()
    with app.connect(timeout=10) as s:
        s.sendall(GET)
        out = recv_all(s, 8)
    waited = time.monotonic() - t0
    assert_clean_error(out, 503)
    assert 0.8 < waited < 4, waited
    busy.close()


def test_at_the_cap_idle_keep_alive_connections_are_closed_first(start_app):
    app = start_hostile(start_app, max_connections=2, max_waiting=4, wait_timeout=8, idle_timeout=30)
    idle = []
    for _ in range(2):
        s = app.connect(timeout=10)
        s.sendall(GET)
        assert read_response(s)[:3:2] == (200, b"ok")
        idle.append(s)  # keep-alive, now idle: both slots taken
    t0 = time.monotonic()
    status, _, body = app.request("GET", "/", timeout=10)
    assert (status, body) == (200, b"ok")
    assert time.monotonic() - t0 < 1.0  # served at once, not after idle_timeout
    closed = 0
    for s in idle:
        s.settimeout(5)
        try:
            closed += s.recv(10) == b""
        except socket.timeout:
            pass
        except ConnectionResetError:
            closed += 1
        s.close()
    assert closed >= 1  # an idle connection made room


def test_a_busy_connection_is_not_evicted_for_a_newcomer(start_app):
    app = start_hostile(start_app, max_connections=1, max_waiting=4, wait_timeout=1)
    busy, = hold(app, ms=3000)
    with app.connect(timeout=10) as s:
        s.sendall(GET)
        assert_clean_error(recv_all(s, 8), 503)
    # the busy request is still served in full
    assert read_response(busy, 10)[:3:2] == (200, b"held")
    busy.close()


# ---- 2. slow and silent clients ----

SLOW_LIMITS = dict(head_timeout=2, body_timeout=2, idle_timeout=2, wait_timeout=10)


class Attackers:
    """n clients doing one slow attack each, every one on its own thread.

    mode 'silent': connect and send nothing; 'slowloris': the head one byte
    every `pace` seconds, never finishing; 'slowbody': a full head, then the
    body one byte every `pace` seconds. Each goes on until the server ends
    its connection (or `until` seconds) and records when and how it ended."""

    def __init__(self, app, n, mode, pace=0.25, until=8.0):
        self.app, self.mode, self.pace, self.until = app, mode, pace, until
        self.results = []
        self.connected = threading.Semaphore(0)
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(n)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        for _ in self.threads:
            assert self.connected.acquire(timeout=10), "attacker could not connect"
        return self

    def __exit__(self, *exc):
        for t in self.threads:
            t.join(self.until + 5)

    def run(self):
        t0 = time.monotonic()
        s = self.app.connect(timeout=10)
        self.connected.release()
        if self.mode == "slowloris":
            data = b"GET / HTTP/1.1\r\nHost: t\r\nX-Long: " + b"a" * 200
        elif self.mode == "slowbody":
            s.sendall(b"POST /sink HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n")
            data = b"b" * 1000
        else:
            data = b""
        out = b""
        s.settimeout(self.pace)  # the pace of the attack: a byte, then silence
        i = 0
        ended = False
        try:
            while time.monotonic() - t0 < self.until:
                if i < len(data):
                    s.sendall(data[i : i + 1])
                    i += 1
                try:
                    chunk = s.recv(4096)
                except socket.timeout:
                    continue
                if not chunk:
                    ended = True
                    break
                out += chunk
        except (ConnectionResetError, BrokenPipeError):
            out += b"<reset>"
            ended = True
        self.results.append((ended, time.monotonic() - t0, out))
        s.close()


def measure_normal_clients(app, seconds, retry_503=False):
    """GET / on a new connection every 50 ms for `seconds`: [(status, latency)].

    retry_503: a 503 is followed, as its Retry-After asks (at most 1 s later),
    by the same request again, for up to 12 s; the entry is the last answer's
    status and the time from the first try. A 503 without Retry-After ends it."""
    out = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.monotonic()
        try:  # a timeout past wait_timeout: the server decides
            status = get_until_served(app, "/", 12 if retry_503 else 0, timeout=15)[0]
        except OSError as e:
            status = repr(e)
        out.append((status, time.monotonic() - t0))
        time.sleep(0.05)  # pacing of the normal clients, not synchronisation
    return out


@pytest.mark.parametrize("mode", ["silent", "slowloris", "slowbody"])
def test_20_slow_clients_are_dropped_and_normal_clients_are_still_served(start_app, mode, record_property):
    app = start_hostile(start_app, **SLOW_LIMITS)
    with Attackers(app, 20, mode, pace=0.25, until=15) as attack:
        normal = measure_normal_clients(app, 3.0, retry_503=app.runtime == "mpy")
    lat = sorted(t for s, t in normal if s == 200) or [99.0]
    statuses = {s for s, _ in normal}
    served = sum(1 for s, _ in normal if s == 200)
    record_property("normal_served", "%d/%d" % (served, len(normal)))
    record_property("latency_median_s", round(lat[len(lat) // 2], 3))
    record_property("latency_max_s", round(lat[-1], 3))
    print("%s on %s: %d/%d normal requests served, latency median %.3f s max %.3f s, statuses %s" % (
        mode, app.runtime, served, len(normal), lat[len(lat) // 2], lat[-1], statuses))
    # also in the 64 KB heap of 'mpy', where four or five connections fill
    # it: newcomers wait in the listen backlog while slow ones are closed.
    # There a normal request may find the heap in pieces too small for it (or
    # the waiting room full) and get a clean 503 with Retry-After: tried again
    # as it asks, it is served (a busy machine made that one in five at times)
    assert statuses == {200}, normal
    # every attacker was cut off by the server: after its head or body
    # timeout (2 s), once it had a slot (a waiting one waits up to
    # wait_timeout, 10 s: in a 64 KB heap four or five slow bodies fill it)
    assert len(attack.results) == 20
    for ended, took, out in attack.results:
        assert ended and took < 13.5, (mode, ended, took, out[:100])
        if out:
            assert out.startswith((b"HTTP/1.1 408 ", b"HTTP/1.1 503 ")) or out == b"<reset>", out[:200]
    assert app.request("GET", "/")[0] == 200
    wait_until(lambda: only_this_connection(app), 5, "every slow connection freed")


def test_a_slow_head_is_answered_408_after_head_timeout(start_app):
    app = start_hostile(start_app, head_timeout=1)
    t0 = time.monotonic()
    with app.connect(timeout=10) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n")
        out = recv_all(s, 8)
    assert_clean_error(out, 408)
    assert 0.9 < time.monotonic() - t0 < 3


def test_a_body_that_stops_halfway_is_dropped_after_body_timeout(start_app):
    app = start_hostile(start_app, body_timeout=1)
    t0 = time.monotonic()
    with app.connect(timeout=10) as s:
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n" + b"x" * 40)
        out = recv_all(s, 8)
    assert time.monotonic() - t0 < 3
    assert b"<silence>" not in out  # the server closed
    assert app.request("GET", "/")[0] == 200


def test_a_body_trickled_byte_by_byte_is_dropped_after_a_bounded_time(start_app):
    # one byte every 0.4 s is progress for a per-read timeout, but must not
    # keep a slot for the whole 2 KB (more than 13 minutes)
    app = start_hostile(start_app, body_timeout=1, max_body=4096)
    t0 = time.monotonic()
    s = app.connect(timeout=10)
    s.sendall(b"POST /sink HTTP/1.1\r\nHost: t\r\nContent-Length: 2000\r\n\r\n")
    s.settimeout(0.4)  # the pace of the trickle: a byte, then 0.4 s of silence
    closed = False
    out = b""
    try:
        while time.monotonic() - t0 < 8:
            s.sendall(b"y")
            try:
                chunk = s.recv(4096)
                if not chunk:
                    closed = True
                    break
                out += chunk
            except socket.timeout:
                pass
    except (ConnectionResetError, BrokenPipeError):
        closed = True
    s.close()
    took = time.monotonic() - t0
    assert closed, "a trickling body held its connection for %.1f s" % took
    assert b"HTTP/1.1 200" not in out and took < 4, (took, out)  # body_timeout + 1 s per KB


def test_an_idle_keep_alive_connection_is_closed_after_idle_timeout(start_app):
    app = start_hostile(start_app, idle_timeout=1)
    with app.connect(timeout=10) as s:
        s.sendall(GET)
        assert read_response(s)[0] == 200
        t0 = time.monotonic()
        assert recv_all(s, 8) == b""  # closed, silently
        assert 0.9 < time.monotonic() - t0 < 3


# ---- 3. MemoryError ----

def test_a_handler_out_of_memory_gets_503_and_the_server_goes_on(start_app):
    app = start_hostile(start_app, head_timeout=1)
    warm_up(app)
    base = heap(app)["alloc"]
    for _ in range(3):
        out = app.raw(b"GET /oom HTTP/1.1\r\nHost: t\r\n\r\n")
        assert_clean_error(out, 503)
        assert b"Connection: close" in out
        assert app.request("GET", "/")[:3:2] == (200, b"ok")
    after = heap(app)["alloc"]
    # MicroPython's collector is conservative: a stale word left by the
    # handler that filled the heap may keep one freed request object (1,952
    # bytes on 64-bit) reachable; the exact leak check is test_load's
    # 1,000 mixed requests (which include /oom)
    assert after <= base + 2048 if app.runtime != "cpython" else after <= base + 200, (base, after)
    assert "MemoryError" not in app.log() or app.runtime != "cpython"


def test_out_of_memory_after_the_answer_started_cuts_it_and_the_server_goes_on(start_app):
    app = start_hostile(start_app)
    out = app.raw(b"GET /oom-late HTTP/1.1\r\nHost: t\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200 OK\r\n") and b"Transfer-Encoding: chunked" in out
    assert b"partial;" in out and not out.endswith(b"0\r\n\r\n")  # cut, not completed
    assert app.request("GET", "/")[:3:2] == (200, b"ok")


def test_a_memory_error_in_the_accept_loop_loses_no_connection(start_app):
    """On MicroPython a MemoryError in asyncio.start_server's accept loop ends
    that loop for good; the server runs its own accept loop instead.

    The app makes the next connection's stream allocation fail (the exact
    place a full heap hits): that connection waits in the listen backlog
    while the heap is collected, then is served like the next one."""
    app = start_hostile(start_app)
    if app.runtime == "cpython":
        pytest.skip("CPython's accept loop survives a failed connection by itself")
    assert app.request("GET", "/accept-oom")[2] == b"armed"
    with app.connect(timeout=5) as s:
        s.sendall(GET)
        assert read_response(s, 5)[:3:2] == (200, b"ok")
    assert "accept-oom: stream allocation failed" in app.log()
    assert app.request("GET", "/", timeout=5)[:3:2] == (200, b"ok")
    assert "Traceback" not in app.log()
    assert app.proc.poll() is None


def test_a_full_heap_while_clients_connect_leaves_the_server_serving(start_app):
    """Twice, the heap stays full for 1.5 s while 40 clients connect. After
    each time the server answers normally and its heap is within 4 KB of the
    baseline: tables that grew with the crowd (dicts and lists keep their
    size) stay, nothing else does. Leaks are measured precisely in test_load."""
    app = start_hostile(start_app, head_timeout=2)
    if app.runtime == "cpython":
        pytest.skip("CPython has no small fixed heap to fill")
    warm_up(app)
    heaps = [heap(app)["alloc"]]
    answers = []

    def client():
        try:
            with app.connect(timeout=3) as s:
                s.sendall(GET)
                answers.append(recv_all(s, 3)[:12])
        except TimeoutError:  # not even accepted while the heap was full: silence
            answers.append(b"<silence>")
        except OSError as e:
            answers.append(repr(e).encode())

    def serves():
        try:
            return app.request("GET", "/", timeout=2)[0] == 200
        except OSError:
            return False

    for round in (1, 2):
        assert app.request("GET", "/squeeze?ms=1500")[2] == b"squeezing"
        threads = [threading.Thread(target=client) for _ in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        wait_until(lambda: app.log().count("squeeze: done") == round, 10, "the end of the squeeze")
        wait_until(serves, 10, "the server to serve again")
        assert app.proc.poll() is None
        wait_until(lambda: only_this_connection(app), 10, "every connection freed")
        heaps.append(heap(app)["alloc"])
    print("squeeze: answers %s; heap %s" % (sorted(set(answers)), heaps))
    for a in answers:  # whatever a client got during the squeeze was well formed
        assert a in (b"", b"<silence>", b"<reset>") or a.startswith((b"HTTP/1.1 200", b"HTTP/1.1 503")), a
    assert max(heaps) <= heaps[0] + 4096, heaps


# ---- 4. resets, half-closed sockets, clients that never read ----

def test_abrupt_resets_at_every_stage_leave_nothing_behind(start_app):
    app = start_hostile(start_app)
    app.request("GET", "/")
    base = heap(app)["alloc"]
    stages = [
        b"",  # right after connect
        b"GET / HT",  # mid request line
        b"GET / HTTP/1.1\r\nHost: t\r\n",  # mid head
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 500\r\n\r\nabc",  # mid body
        b"GET /big?kb=256 HTTP/1.1\r\nHost: t\r\n\r\n",  # while the answer is sent
        GET,  # after a complete request
    ]
    for i in range(60):
        s = app.connect()
        s.sendall(stages[i % len(stages)])
        reset(s)
    # (61 connections at once are past max_connections + max_waiting: the
    # first probes may get a 503 until the reset ones are seen and freed)
    wait_until(lambda: only_this_connection(app), 10, "every reset connection freed")
    assert app.request("GET", "/")[:3:2] == (200, b"ok")
    after = heap(app)["alloc"]
    assert after <= base + (1024 if app.runtime != "cpython" else 200), (base, after)


@pytest.mark.parametrize("req, body", [
    (GET, b"ok"),
    (b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello", b"hello"),
    (b"GET /big?kb=32 HTTP/1.1\r\nHost: t\r\n\r\n", b"x" * 32768),
])
def test_a_half_closed_client_still_gets_its_answer(start_app, req, body):
    app = start_hostile(start_app)
    with app.connect(timeout=10) as s:
        s.sendall(req)
        s.shutdown(socket.SHUT_WR)
        status, _, got, _ = read_response(s, 10)
        assert (status, got) == (200, body)
        assert recv_all(s, 5) == b""  # and then the server closes
    wait_until(lambda: only_this_connection(app), 5, "the half-closed connection freed")


def test_a_client_that_never_reads_a_large_answer_is_dropped_after_write_timeout(start_app):
    app = start_hostile(start_app, write_timeout=1)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    s.connect((app.host, app.port))
    s.sendall(b"GET /big?kb=16384 HTTP/1.1\r\nHost: t\r\n\r\n")  # 16 MB, never read
    t0 = time.monotonic()
    wait_until(lambda: only_this_connection(app), 12, "the stuck connection freed")
    print("stuck writer freed after %.2f s" % (time.monotonic() - t0))
    assert app.request("GET", "/")[:3:2] == (200, b"ok")
    reset(s)


# ---- 5. bad input ----
# (test_core.py covers garbage request lines, bad header lines, space-folded
# obs-fold, NUL/non-UTF-8 in the path, CL -1, duplicate CL, CL with TE, 414, 431.)

BAD = [
    # request line
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(32)) + b"\r\n\r\n", 400),  # TLS hello
    (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),  # HTTP/2 preface
    (b"\x00\x00\x00\x00\r\n\r\n", 400),
    (b"G\x00T / HTTP/1.1\r\n\r\n", 400),
    (b"GET / HTTP/1.1\x00\r\n\r\n", 400),
    (b"G\xc3\xa9T / HTTP/1.1\r\n\r\n", 400),
    (b"GET /?q=\xff\xfe HTTP/1.1\r\n\r\n", 400),
    (b"GET / HTTP/1.1\rHost: t\r\n\r\n", 400),  # CR without LF
    (b"GET\t/ HTTP/1.1\r\n\r\n", 400),
    (b"GET  / HTTP/1.1\r\n\r\n", 400),
    (b"GET / HTTP/1.1 \r\n\r\n", 400),
    (b"GET / HTTP/1.12\r\n\r\n", 400),
    (b"GET / HTTP/9.9\r\n\r\n", 505),
    (b"GET / http/1.1\r\n\r\n", 400),
    # header lines
    (b"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400),  # CR inside a value
    (b"GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\n\tfolded\r\n\r\n", 400),  # obs-fold with a tab
    (b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHo\tst: a\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\n: a\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nX\xff: a\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n", 417),
    # Content-Length
    (b"POST /echo HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400),
    (b"POST /echo HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\nhello", 400),
    (b"POST /echo HTTP/1.1\r\nContent-Length: +5\r\n\r\nhello", 400),
    (b"POST /echo HTTP/1.1\r\nContent-Length: 0x5\r\n\r\nhello", 400),
    (b"POST /echo HTTP/1.1\r\nContent-Length: 5_0\r\n\r\nhello", 400),
    (b"POST /echo HTTP/1.1\r\nContent-Length: \xd9\xa5\r\n\r\nhello", 400),  # Arabic-Indic 5
    (b"POST /echo HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400),
    (b"POST /echo HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n", 413),
    # Transfer-Encoding (smuggling)
    (b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400),
    (b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    (b"POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
    (b"POST /echo HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n", 501),
    (b"POST /echo HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n", 400),
    # chunked bodies
    (b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffff\r\n", 400),
    (b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n7fffffff\r\n", 413),
    (b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n", 400),
    (b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n", 400),
    (b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", 400),
    (b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5_0\r\n" + b"h" * 80 + b"\r\n0\r\n\r\n", 400),
    (b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400),
    (b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n", 400),
    (b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", 400),
    (b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;" + b"e" * 2000 + b"\r\nhello\r\n0\r\n\r\n", 400),
]


def _first_status(out):
    if not out.startswith(b"HTTP/1.1 "):
        return None
    try:
        return int(out[9:12])
    except ValueError:
        return None


def test_bad_input_gets_the_right_4xx_and_never_a_traceback(start_app):
    app = start_hostile(start_app, max_body=4096)
    wrong = []
    for req, want in BAD:
        out = app.raw(req, timeout=5)
        got = _first_status(out)
        body = out.split(b"\r\n\r\n", 1)[-1]
        if got != want or b"Traceback" in out or b"File \"" in body:
            wrong.append((req[:70], want, out[:120]))
    assert not wrong, "\n".join(repr(w) for w in wrong)
    assert app.alive()
    assert "Traceback" not in app.log(), app.log()


def test_bare_lf_is_accepted_throughout_a_request(start_app):
    app = start_hostile(start_app)
    out = app.raw(b"POST /echo HTTP/1.1\nHost: t\nContent-Length: 5\nConnection: close\n\nhello")
    assert out.startswith(b"HTTP/1.1 200 ") and out.endswith(b"hello")
    out = app.raw(b"POST /echo HTTP/1.1\nHost: t\nTransfer-Encoding: chunked\nConnection: close\n\n"
                  b"5\nhello\n0\n\n")
    assert out.startswith(b"HTTP/1.1 200 ") and out.endswith(b"hello"), out


def test_a_valid_request_followed_by_garbage_is_answered_then_400(start_app):
    app = start_hostile(start_app)
    out = app.raw(GET + b"\x00\xffgarbage\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200 OK\r\n")
    assert out.count(b"HTTP/1.1 ") == 2 and b"HTTP/1.1 400 " in out


def test_endless_empty_lines_do_not_hold_a_connection_past_head_timeout(start_app):
    app = start_hostile(start_app, head_timeout=1)
    t0 = time.monotonic()
    s = app.connect(timeout=5)
    closed = False
    try:
        while time.monotonic() - t0 < 6:
            s.sendall(b"\r\n" * 100)
            s.settimeout(0.1)
            try:
                if not s.recv(100):
                    closed = True
                    break
            except socket.timeout:
                pass
    except (ConnectionResetError, BrokenPipeError):
        closed = True
    s.close()
    assert closed and time.monotonic() - t0 < 4
