"""Fuzzing: the request-head parser as a pure function (hypothesis, atheris),
and thousands of random and mutated requests against the real server process."""
import os
import random
import socket
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from helpers import PYTHON, ROOT

sys.path.insert(0, ROOT)
from aiowebserver.http import HttpError, body_length, header_dict, scan_head  # noqa: E402

MAX_BODY = 4096


# ---- scan_head and header_dict as pure functions (CPython) ----

TOKENS = [
    b"GET", b"POST", b"HEAD", b"OPTIONS", b"get", b"G\x00T", b"\xff", b"/", b"/a?b=c", b"*",
    b"http://h/p", b"https://", b"/%00", b"/%zz", b"/%C3%A9", b"/\xc3\xa9", b"#", b"?",
    b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"HTTP/1.12", b"http/1.1",
    b" ", b"  ", b"\t", b"\r", b"\n", b"\r\n", b"\0", b":", b": ", b",",
    b"Host", b"Content-Length", b"content-length", b"Transfer-Encoding", b"chunked",
    b"Connection", b"close", b"Expect", b"100-continue", b"0", b"5", b"-1", b"+5", b"0x5",
    b"5_0", b"99999999999999999999", b"\xd9\xa5", b"\xef\xbc\x95", b"identity",
]

head_bytes = st.lists(
    st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=8)), max_size=40
).map(b"".join)


def request_like():
    """Heads that look like requests: a request line and header lines built
    from HTTP's own tokens, so the fuzzer gets past the first checks."""
    line = st.tuples(
        st.sampled_from(TOKENS[:6]), st.sampled_from(TOKENS[6:18]), st.sampled_from(TOKENS[18:23])
    ).map(lambda t: b" ".join(t))
    header = st.tuples(
        st.sampled_from(TOKENS[33:43] + [b"X-A", b"x b", b""]),
        st.sampled_from([b": ", b":", b" : ", b":\t"]),
        head_bytes,
    ).map(b"".join)
    sep = st.sampled_from([b"\r\n", b"\n", b"\r", b"\r\n "])
    return st.tuples(line, st.lists(st.tuples(sep, header), max_size=12)).map(
        lambda t: t[0] + b"".join(s + h for s, h in t[1])
    )


def check_parse(data, max_headers=32):
    """scan_head may only raise HttpError; what it returns is clean, and so
    are the headers made from a head it accepted."""
    try:
        method, path, query, version, conn, expect, cl, te = scan_head(data, max_headers)
    except HttpError as e:
        assert 400 <= e.status < 600
        return
    headers = header_dict(data)
    for name, value in (("connection", conn), ("expect", expect), ("content-length", cl),
                        ("transfer-encoding", te)):
        assert (value is None and name not in headers) or value.decode() == headers[name]
    assert isinstance(method, str) and method.isalpha() and method.isupper()
    assert isinstance(path, str) and "\0" not in path and (path[:1] == "/" or path == "*")
    assert query is None or (isinstance(query, str) and "#" not in query)
    assert version in (b"HTTP/1.1", b"HTTP/1.0")
    assert len(headers) <= max_headers
    for name, value in headers.items():
        assert name == name.lower() and name and not (set(name) & set(" \t\r\n\0:"))
        assert not (set(value) & set("\r\n\0"))
    try:
        n = body_length(cl, te, MAX_BODY)
    except HttpError as e:
        assert e.status in (400, 413, 501)
        return
    assert -1 <= n <= MAX_BODY
    cl = headers.get("content-length")
    if n > 0:
        # the length a smuggler's front proxy would read is the same one
        assert cl is not None and cl.isascii() and cl.isdigit() and int(cl) == n
    if n == -1:
        assert "content-length" not in headers


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_bytes_never_crash_the_head_parser(data):
    check_parse(data)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(head_bytes)
def test_http_shaped_garbage_never_crashes_the_head_parser(data):
    check_parse(data)


# 800 (was 1500): its examples cost ~25 ms each to build, and the suite's
# 10-minute budget is shared with every feature's tests; atheris fuzzes the
# same parser further below
@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request_like(), st.integers(min_value=1, max_value=40))
def test_request_like_heads_parse_cleanly_or_fail_with_an_http_error(data, max_headers):
    check_parse(data, max_headers)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="0123456789+-_ xX,\u0665\uff15", max_size=12))
def test_a_content_length_is_plain_ascii_digits_or_400(value):
    try:
        n = body_length(value.encode(), None, 10**9)
    except HttpError as e:
        assert e.status in (400, 413)
        return
    assert value.isascii() and value.isdigit() and n == int(value)


ATHERIS_HARNESS = r"""
import sys
import atheris
with atheris.instrument_imports():
    from aiowebserver.http import scan_head, header_dict, body_length, HttpError

def one(data):
    try:
        r = scan_head(data, 32)
        header_dict(data)
        body_length(r[6], r[7], 4096)
    except HttpError:
        pass

atheris.Setup(sys.argv, one)
atheris.Fuzz()
"""


def test_atheris_finds_no_crash_in_the_head_parser(tmp_path):
    try:
        import atheris  # noqa: F401
    except ImportError:
        pytest.skip("atheris is not installed (pip install atheris)")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    seeds = [b"GET / HTTP/1.1\r\nHost: a\r\n", b"POST /x?y HTTP/1.0\nContent-Length: 5",
             b"PUT * HTTP/1.1\r\nTransfer-Encoding: chunked\r\nA: b"]
    for i, seed in enumerate(seeds):
        (corpus / ("seed%d" % i)).write_bytes(seed)
    proc = subprocess.run(
        [PYTHON, "-c", ATHERIS_HARNESS, "-max_total_time=8", "-runs=200000", "-max_len=512",
         "-rss_limit_mb=1024", str(corpus)],
        cwd=str(tmp_path), env=dict(os.environ, PYTHONPATH=ROOT),
        capture_output=True, timeout=60,
    )
    log = (proc.stdout + proc.stderr).decode("utf-8", "replace")
    assert proc.returncode == 0, log[-3000:]
    assert "Done" in log, log[-2000:]
    print([line for line in log.splitlines() if line.startswith("Done")])


# ---- the real server, fed random and mutated requests ----

SEEDS = [
    b"GET / HTTP/1.1\r\nHost: t\r\n\r\n",
    b"GET /heap?x=1&y=%20 HTTP/1.1\r\nHost: t\r\nAccept: */*\r\nConnection: close\r\n\r\n",
    b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world",
    b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n",
    b"PUT /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc",
    b"HEAD / HTTP/1.0\r\n\r\n",
    b"GET /big?kb=2 HTTP/1.1\r\nHost: t\r\n\r\nGET /nope HTTP/1.1\r\nHost: t\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n",
    b"DELETE /echo HTTP/1.1\nHost: t\n\n",
]
INSERTS = [b"\r", b"\n", b"\r\n", b"\0", b" ", b"\t", b":", b"\xff", b"\xc3", b"%", b"%00", b"%zz",
           b"\r\n\r\n", b"Content-Length: 99999\r\n", b"Content-Length: 5\r\n",
           b"Transfer-Encoding: chunked\r\n", b"-1", b"fffffffff", b"0x10", b"+3", b"\r\n ",
           b"Host: a\r\n", b"Connection: close\r\n", b"Expect: x\r\n", b"A" * 300, b"/" * 200]
GOOD = {100, 200, 400, 404, 405, 408, 413, 414, 417, 431, 501, 505, 503}


def mutate(rng):
    if rng.random() < 0.1:
        return bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 200)))
    data = bytearray(rng.choice(SEEDS))
    for _ in range(rng.randrange(1, 5)):
        op = rng.randrange(6)
        i = rng.randrange(len(data) + 1)
        if op == 0 and data:
            data[min(i, len(data) - 1)] = rng.getrandbits(8)
        elif op == 1:
            data[i:i] = rng.choice(INSERTS)
        elif op == 2:
            del data[i : i + rng.randrange(1, 8)]
        elif op == 3:
            j = rng.randrange(len(data) + 1)
            data[i:i] = data[min(i, j) : max(i, j)][:100]
        elif op == 4:
            del data[i:]
        else:
            data[i:i] = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 6)))
    return bytes(data)


def responses(out, request):
    """Split what the server sent into responses; raise on anything malformed.

    A chunked answer may be cut short (the connection closed after a request
    body turned out bad mid-way); everything else must be complete."""
    got = []
    head_request = b"HEAD" in request
    while out:
        assert out.startswith(b"HTTP/1.1 "), out[:80]
        head, sep, rest = out.partition(b"\r\n\r\n")
        assert sep, "unterminated head %r" % out[:200]
        status = int(head[9:12])
        assert head[12:13] == b" ", head[:40]
        got.append(status)
        headers = {}
        for line in head.split(b"\r\n")[1:]:
            k, colon, v = line.partition(b":")
            assert colon and k and b" " not in k, line
            headers[k.lower()] = v.strip()
        if 100 <= status < 200 or status in (204, 304):
            out = rest
        elif b"content-length" in headers:
            n = int(headers[b"content-length"])
            if head_request and rest[:9] in (b"", b"HTTP/1.1 "):
                out = rest  # the answer to HEAD: no body (the app's bodies never start so)
            else:
                assert len(rest) >= n, "short body: %r" % out[:300]
                out = rest[n:]
        elif headers.get(b"transfer-encoding") == b"chunked":
            while True:
                line, sep, rest = rest.partition(b"\r\n")
                if not sep:  # cut off
                    return got
                size = int(line, 16)
                if size == 0:
                    assert rest[:2] in (b"\r\n", b""), rest[:20]
                    out = rest[2:]
                    break
                if len(rest) < size + 2:
                    return got  # cut off
                rest = rest[size + 2 :]
        else:
            assert b"close" in headers.get(b"connection", b""), head
            return got  # close-delimited
    return got


def exchange(app, data, rng):
    """Send data, half-close, read everything; or reset at once."""
    s = socket.create_connection((app.host, app.port), timeout=5)
    try:
        s.sendall(data)
        if rng.random() < 0.1:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            return None
        s.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk
    except (ConnectionResetError, BrokenPipeError):
        return None
    finally:
        s.close()


@pytest.mark.timeout(120)
def test_thousands_of_mutated_requests_never_break_the_server(start_app):
    seconds = float(os.environ.get("AIOWEBSERVER_FUZZ_SECONDS", "8"))
    seed = int(os.environ.get("AIOWEBSERVER_FUZZ_SEED", "0")) or random.randrange(1 << 30)
    rng = random.Random(seed)
    app = start_app("hostile_app.py", env={
        "HOSTILE_LIMITS": "head_timeout=2,body_timeout=2,idle_timeout=2,max_body=%d" % MAX_BODY})
    end = time.monotonic() + seconds
    sent = batches = 0
    statuses = {}
    while time.monotonic() < end:
        for _ in range(100):
            data = mutate(rng)
            out = exchange(app, data, rng)
            sent += 1
            if out is None:
                continue
            try:
                got = responses(out, data)
            except (AssertionError, ValueError) as e:
                pytest.fail("seed %d: malformed answer to %r:\n%r\n%s" % (seed, data, out[:500], e))
            for status in got:
                statuses[status] = statuses.get(status, 0) + 1
                assert status in GOOD, "seed %d: %d for %r:\n%r" % (seed, status, data, out[:300])
        batches += 1
        # a normal request after every batch, served at once (also in the
        # 64 KB heap of 'mpy')
        answer = app.request("GET", "/", timeout=10)[:3:2]
        assert answer == (200, b"ok"), "seed %d: %r" % (seed, answer)
    print("fuzz on %s, seed %d: %d requests in %d batches, statuses %s" % (
        app.runtime, seed, sent, batches, sorted(statuses.items())))
    assert sent >= 1000 or seconds < 8
    assert app.proc.poll() is None
    assert "Traceback" not in app.log(), app.log()[-3000:]
