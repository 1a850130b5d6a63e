"""Load on the real server process: many keep-alive clients, connect-and-reset
storms, and a heap that returns to its baseline afterwards."""
import json
import os
import socket
import struct
import threading
import time

import pytest

from helpers import get_until_served, read_response

LOAD_SECONDS = float(os.environ.get("AIOWEBSERVER_LOAD_SECONDS", "10"))


def heap(app):
    """The server's live heap; a 503 (64 KB heap still held by connections
    in the waiting room, which wait up to wait_timeout = 10 s, then drain)
    is asked again as its Retry-After says (at most 1 s later), for at most
    40 s: on a busy machine 15 s of 503s were seen once."""
    status, _, body = get_until_served(app, "/heap", 40)
    assert status == 200, (status, body)
    return json.loads(body)


def wait_idle(app, timeout=15):
    """Until the server serves nothing but the /heap probe; returns its heap."""
    deadline = time.monotonic() + timeout
    while True:
        h = heap(app)
        if h["conns"] == 1 or time.monotonic() > deadline:
            return h
        time.sleep(0.05)  # polling interval, bounded by the deadline


def reset_connect(app):
    s = socket.create_connection((app.host, app.port), timeout=5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


# request, expected status, expected body (None: any)
MIX = [
    (b"GET / HTTP/1.1\r\nHost: t\r\n\r\n", 200, b"ok"),
    (b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n" + b"e" * 100, 200, b"e" * 100),
    (b"GET /big?kb=4 HTTP/1.1\r\nHost: t\r\n\r\n", 200, b"x" * 4096),
    (b"GET /missing HTTP/1.1\r\nHost: t\r\n\r\n", 404, None),
    (b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 200, b"abc"),
    (b"DELETE / HTTP/1.1\r\nHost: t\r\n\r\n", 405, None),
]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.served = 0
        self.busy = 0  # 503 answers
        self.reconnects = 0
        self.lost = 0  # requests never answered (their connection was lost)
        self.errors = []

    def add(self, **kw):
        with self.lock:
            for k, v in kw.items():
                if k == "error":
                    self.errors.append(v)
                else:
                    setattr(self, k, getattr(self, k) + v)


def keep_alive_client(app, stats, end, k):
    """One client: requests of the mix on one connection, reconnecting when
    the server closed it (idle eviction, 503)."""
    s = None
    i = k
    while time.monotonic() < end:
        req, want, body = MIX[i % len(MIX)]
        i += 1
        try:
            if s is None:
                s = socket.create_connection((app.host, app.port), timeout=12)
            s.sendall(req)
            status, headers, got, rest = read_response(s, 12)  # > wait_timeout
        except (ConnectionError, OSError) as e:
            # a closed keep-alive connection is retried once on a new one,
            # like a browser does; a timeout is an error
            if isinstance(e, socket.timeout):
                stats.add(lost=1)
            stats.add(reconnects=1)
            if s is not None:
                s.close()
            s = None
            continue
        if status == 503:
            stats.add(busy=1)
        elif status != want or (body is not None and got != body) or rest:
            stats.add(error="%r -> %d %r %r" % (req[:30], status, got[:50], rest[:50]))
        else:
            stats.add(served=1)
        if headers.get("connection") == "close":
            s.close()
            s = None
    if s is not None:
        s.close()


@pytest.mark.timeout(120)
def test_20_keep_alive_clients_and_200_resets_for_10_seconds(start_app):
    app = start_app("hostile_app.py")
    # warm up: every kind of request once, some at once, so lazily loaded
    # parts and pooled buffers are in the baseline
    warm = [threading.Thread(target=keep_alive_client, args=(app, Stats(), time.monotonic() + 1, k))
            for k in range(20)]
    for t in warm:
        t.start()
    for t in warm:
        t.join(30)
    base = wait_idle(app)["alloc"]
    stats = Stats()
    end = time.monotonic() + LOAD_SECONDS
    clients = [threading.Thread(target=keep_alive_client, args=(app, stats, end, k)) for k in range(20)]
    resets = [0]

    def resetter():
        # 200 connect-and-reset clients spread over the run
        gap = LOAD_SECONDS / 250
        while resets[0] < 200 and time.monotonic() < end + 30:  # a full backlog delays connects
            try:
                reset_connect(app)
            except OSError as e:
                stats.add(error="reset client: %r" % e)
            resets[0] += 1
            time.sleep(gap)  # pacing of the attack, not synchronisation

    peak = [base]

    def monitor():
        while time.monotonic() < end:
            try:
                peak[0] = max(peak[0], heap(app)["alloc"])
            except (OSError, AssertionError):
                pass

    threads = clients + [threading.Thread(target=resetter), threading.Thread(target=monitor)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(LOAD_SECONDS + 60)
    took = time.monotonic() - t0
    after = wait_idle(app)
    print("load on %s: %d answers in %.1f s (%.0f/s), %d 503, %d reconnects, %d resets, "
          "heap %d -> peak %d -> %d, errors %d, lost %d" % (
              app.runtime, stats.served, took, stats.served / took, stats.busy, stats.reconnects,
              resets[0], base, peak[0], after["alloc"], len(stats.errors), stats.lost))
    assert not stats.errors, stats.errors[:10]
    assert stats.lost == 0  # every request was answered, also in a 64 KB heap
    assert resets[0] == 200
    assert stats.served > 20 * 10  # every client was served again and again
    assert app.proc.poll() is None
    assert "Traceback" not in app.log(), app.log()[-2000:]
    assert after["conns"] == 1
    # MicroPython's collector is conservative: after a crowd, a few KB may stay
    # reachable through stale words (measured: 57-64 KB after each of five 3 s
    # rounds, no trend); the 1,000-request test below is exact
    slack = 8192 if app.runtime != "cpython" else 300
    assert after["alloc"] <= base + slack, (base, after)


def test_heap_returns_to_its_baseline_after_1000_mixed_requests(start_app):
    app = start_app("hostile_app.py", env={"HOSTILE_LIMITS": "max_body=4096"})
    extra = [
        b"GARBAGE\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 99999\r\n\r\n",
        b"GET /" + b"u" * 2000 + b" HTTP/1.1\r\n\r\n",
        b"GET /oom HTTP/1.1\r\nHost: t\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ]

    busy = [0]

    def one(i):
        if i % 10 == 9:
            reset_connect(app)
            return
        if i % 10 == 8:
            with socket.create_connection((app.host, app.port), timeout=10) as s:
                s.sendall(extra[i // 10 % len(extra)])
                try:
                    s.shutdown(socket.SHUT_WR)
                except OSError:  # answered (414) and closed before the rest was read: the answer is queued
                    pass
                out = s.recv(100)
                assert out.startswith(b"HTTP/1.1 "), out
            return
        req, want, body = MIX[i % len(MIX)]
        with socket.create_connection((app.host, app.port), timeout=10) as s:
            # several requests on one connection now and then
            for _ in range(1 + (i % 3 == 0)):
                s.sendall(req)
                status, headers, got, _ = read_response(s, 10)
                if status == 503 and app.runtime == "mpy":
                    # 64 KB heap, fragmented by the /oom probes: a request
                    # that cannot get a large enough block is refused cleanly
                    busy[0] += 1
                    break
                assert status == want and (body is None or got == body), (i, req[:30], status, got[:40])

    for i in range(100):  # warm-up: every kind once, lazily loaded parts
        one(i)
    base = wait_idle(app)["alloc"]
    for i in range(1000):
        one(i)
    after = wait_idle(app)
    print("1000 mixed requests on %s: heap %d -> %d, 503 answers %d" % (app.runtime, base, after["alloc"], busy[0]))
    assert busy[0] <= 50
    assert after["conns"] == 1
    # MicroPython: at most one request object (~2.4 KB with its head buffer)
    # more. In about one run in three (before this slack, and on the commits
    # before it too) one stays reachable after the 1000 requests, neither
    # pooled nor serving, and ten more requests do not free it: a stale word
    # seen by the conservative collector, or one object kept somewhere not yet
    # found. A leak per request would be 1000 times the slack's size.
    slack = 2560 if app.runtime != "cpython" else 200
    assert after["alloc"] <= base + slack, (base, after)
    assert app.proc.poll() is None
