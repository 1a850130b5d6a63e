"""rq.sendfile as browsers, download tools and attackers see it (tests/apps/static_app.py)."""
import gzip
import os
import socket
import threading
import time

import pytest

from helpers import read_response

SECRET = b"TOP-SECRET-next-to-the-served-folder"
PAGE = b"<!doctype html><title>gz</title>\n" + b"".join(b"<p>compressed page, line %d</p>\n" % i for i in range(2000))
BIG = 1 << 20


@pytest.fixture
def site(tmp_path):
    """tmp_path/www is served; tmp_path/secret.txt sits next to it."""
    www = tmp_path / "www"
    (www / "sub").mkdir(parents=True)
    (www / "empty").mkdir()
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (www / "index.htm").write_bytes(b"<h1>root index</h1>")
    (www / "sub" / "index.html").write_bytes(b"<h1>sub index</h1>")
    (www / "hello.txt").write_bytes(b"hello file\n")
    (www / "page.html.gz").write_bytes(gzip.compress(PAGE))
    (www / "big.bin").write_bytes(os.urandom(BIG))
    for name in ("a.css", "a.js", "a.mjs", "a.json", "a.svg", "a.png", "a.JPG", "a.wasm", "a.woff2",
                 "a.mp3", "a.webp", "a.ico", "a.pdf", "a.xyz", "noext"):
        (www / name).write_bytes(b"x")
    os.symlink(str(tmp_path / "secret.txt"), str(www / "link.txt"))
    os.symlink("../secret.txt", str(www / "rel-link.txt"))
    os.symlink(str(tmp_path), str(www / "linkdir"))
    return tmp_path


def roomy(runtime, gunzip=False):
    # .mpy modules keep their bytecode in the heap, and 64-bit unix objects are
    # twice a board's: the whole package at 64k leaves too little for these
    # tests' parallel clients. Frozen code (the firmware) does not pay this,
    # but decompressing gzip needs one 32 KB block, which a 64k heap lacks
    # (and a fragmented 128k heap may lack too).
    if gunzip and runtime in ("mpy", "frozen"):
        return "256k"
    return "128k" if runtime == "mpy" else None


@pytest.fixture
def server(start_app, site, runtime):
    return start_app("static_app.py", heap=roomy(runtime), env={"STATIC_DIR": str(site / "www")})


@pytest.fixture
def gunzip_server(start_app, site, runtime):
    return start_app("static_app.py", heap=roomy(runtime, gunzip=True), env={"STATIC_DIR": str(site / "www")})


@pytest.fixture
def small_server(start_app, site, runtime):
    """A small heap: 64k frozen; 96k for .mpy, whose bytecode also lives in
    the heap: since the error answers grew (status, errors, server: ~1 KB of
    .mpy), the first request at 64k or 72k got a 503 (a MemoryError loading
    the static module into the heap startup left in pieces)."""
    return start_app("static_app.py", env={"STATIC_DIR": str(site / "www")},
                     heap="96k" if runtime == "mpy" else None)


def get(app, target, headers=(), method="GET"):
    """One raw request, exactly as written (no client-side path cleaning)."""
    req = "%s %s HTTP/1.1\r\nHost: t\r\n" % (method, target)
    req += "".join("%s: %s\r\n" % h for h in headers) + "\r\n"
    with app.connect(10) as s:
        s.sendall(req.encode("latin-1"))
        if method == "HEAD":
            s.settimeout(10)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(4096)
                assert chunk, "closed before the head"
                data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            hdrs = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
            return int(lines[0].split()[1]), hdrs, rest
        return read_response(s, 10)[:3]


# ---- finding files ----

def test_a_file_is_served_with_its_type_length_and_validators(server):
    status, headers, body = get(server, "/static/hello.txt")
    assert (status, body) == (200, b"hello file\n")
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert headers["content-length"] == "11"
    assert headers["etag"].startswith('"') and headers["etag"].endswith('"')
    assert headers["cache-control"] == "no-cache"
    assert headers["accept-ranges"] == "bytes"
    assert headers["last-modified"].endswith(" GMT")


def test_a_one_megabyte_binary_file_arrives_byte_exact(small_server, site):
    server = small_server
    status, headers, body = get(server, "/static/big.bin")
    assert status == 200 and headers["content-length"] == str(BIG)
    assert headers["content-type"] == "application/octet-stream"
    assert body == (site / "www" / "big.bin").read_bytes()
    # and again on a kept-alive connection, twice in a row
    with server.connect(10) as s:
        for _ in range(2):
            s.sendall(b"GET /static/big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
            status, _, body, rest = read_response(s, 10)
            assert status == 200 and body == (site / "www" / "big.bin").read_bytes() and rest == b""


def test_a_directory_serves_its_index_htm_or_index_html(server):
    assert get(server, "/static/")[::2] == (200, b"<h1>root index</h1>")
    assert get(server, "/static/sub/")[::2] == (200, b"<h1>sub index</h1>")
    assert get(server, "/static/sub")[::2] == (200, b"<h1>sub index</h1>")
    assert get(server, "/static/sub/")[1]["content-type"] == "text/html; charset=utf-8"


def test_a_directory_without_index_and_a_missing_file_are_404(server):
    assert get(server, "/static/empty/")[0] == 404
    assert get(server, "/static/nothing-here.txt")[0] == 404
    assert get(server, "/static/sub/nothing")[0] == 404
    assert server.alive()


def test_the_default_directory_is_the_current_one(start_app, site, runtime):
    app = start_app("static_app.py", heap=roomy(runtime), cwd=str(site / "www"))
    assert get(app, "/cwd/hello.txt")[::2] == (200, b"hello file\n")
    assert get(app, "/cwd/../secret.txt")[0] in (400, 404)


def test_the_request_path_with_its_leading_slash_stays_inside_the_directory(server):
    # sendfile(rq.path, DIR): '/whole/...' is looked up below DIR, never at '/'
    assert get(server, "/whole/hello.txt")[0] == 404


# ---- content types ----

@pytest.mark.parametrize("name, ctype", [
    ("a.css", "text/css; charset=utf-8"), ("a.js", "text/javascript; charset=utf-8"),
    ("a.mjs", "text/javascript; charset=utf-8"), ("a.json", "application/json; charset=utf-8"),
    ("a.svg", "image/svg+xml; charset=utf-8"), ("a.png", "image/png"), ("a.JPG", "image/jpeg"),
    ("a.wasm", "application/wasm"), ("a.woff2", "font/woff2"), ("a.mp3", "audio/mpeg"),
    ("a.webp", "image/webp"), ("a.ico", "image/x-icon"), ("a.pdf", "application/pdf"),
    ("a.xyz", "application/octet-stream"), ("noext", "application/octet-stream"),
])
def test_the_built_in_table_gives_the_content_type(server, name, ctype):
    assert get(server, "/static/" + name)[1]["content-type"] == ctype


def test_the_callers_types_come_first_then_the_table_then_the_star_fallback(server):
    assert get(server, "/typed/a.xyz")[1]["content-type"] == "application/x-xyz"
    assert get(server, "/typed/hello.txt")[1]["content-type"] == "text/x-mine"
    assert get(server, "/typed/a.css")[1]["content-type"] == "text/css; charset=utf-8"
    assert get(server, "/typed/noext")[1]["content-type"] == "text/x-fallback"


def test_a_string_forces_the_type(server):
    assert get(server, "/forced/a.css")[1]["content-type"] == "application/x-forced"
    assert get(server, "/forced/noext")[1]["content-type"] == "application/x-forced"


# ---- gzip ----

@pytest.mark.parametrize("accept", ["gzip", "gzip, deflate, br", "deflate, gzip;q=0.5", "*", "br;q=1.0, x-gzip"])
def test_a_client_accepting_gzip_gets_the_gz_file_as_is(server, site, accept):
    status, headers, body = get(server, "/static/page.html", [("Accept-Encoding", accept)])
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert headers["vary"] == "Accept-Encoding"
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert body == (site / "www" / "page.html.gz").read_bytes()
    assert gzip.decompress(body) == PAGE


@pytest.mark.parametrize("accept", [None, "identity", "gzip;q=0", "deflate, gzip;q=0.0, br", "*;q=0", "gzip; q=0.000, *"])
def test_a_client_refusing_gzip_gets_it_decompressed_on_the_fly(gunzip_server, accept):
    server = gunzip_server
    headers = [("Accept-Encoding", accept)] if accept is not None else []
    status, rheaders, body = get(server, "/static/page.html", headers)
    assert status == 200
    assert "content-encoding" not in rheaders
    assert rheaders["vary"] == "Accept-Encoding"
    assert rheaders["content-type"] == "text/html; charset=utf-8"
    assert body == PAGE


def test_without_room_to_decompress_gzip_goes_to_clients_that_did_not_say_no(start_app, site, runtime):
    if runtime == "cpython":
        pytest.skip("a MicroPython heap limit")
    app = start_app("static_app.py", heap="256k", env={"STATIC_DIR": str(site / "www"), "LOW_MEMORY": "1"})
    # no Accept-Encoding: any coding is acceptable (RFC 9110 12.5.3)
    status, headers, body = get(app, "/static/page.html")
    assert (status, headers.get("content-encoding")) == (200, "gzip")
    assert gzip.decompress(body) == PAGE
    # an explicit refusal gets 503, never gzip
    status, headers, body = get(app, "/static/page.html", [("Accept-Encoding", "identity")])
    assert status == 503 and "content-encoding" not in headers
    assert get(app, "/static/page.html", [("Accept-Encoding", "gzip")])[::2] == (
        200, (site / "www" / "page.html.gz").read_bytes())
    assert get(app, "/static/hello.txt")[::2] == (200, b"hello file\n")


def test_an_http10_client_without_gzip_gets_the_page_until_the_close(gunzip_server):
    server = gunzip_server
    data = server.raw(b"GET /static/page.html HTTP/1.0\r\n\r\n", timeout=10)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"Transfer-Encoding" not in head
    assert body == PAGE


def test_gzip_and_plain_answers_have_different_etags(gunzip_server):
    server = gunzip_server
    zipped = get(server, "/static/page.html", [("Accept-Encoding", "gzip")])[1]["etag"]
    plain = get(server, "/static/page.html")[1]["etag"]
    assert zipped != plain
    assert get(server, "/static/page.html", [("Accept-Encoding", "gzip"), ("If-None-Match", zipped)])[0] == 304
    assert get(server, "/static/page.html", [("If-None-Match", zipped)])[::2] == (200, PAGE)


# ---- caching ----

def test_a_browser_revalidating_with_the_etag_gets_304_without_a_body(server):
    etag = get(server, "/static/hello.txt")[1]["etag"]
    with server.connect() as s:
        s.sendall(b"GET /static/hello.txt HTTP/1.1\r\nHost: t\r\nIf-None-Match: %s\r\n\r\n" % etag.encode())
        status, headers, body, rest = read_response(s)
        assert (status, body, rest) == (304, b"", b"")
        assert headers["etag"] == etag
        assert "content-length" not in headers and "transfer-encoding" not in headers
        # the connection stays usable
        s.sendall(b"GET /static/hello.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        assert read_response(s)[2] == b"hello file\n"


@pytest.mark.parametrize("form", ["W/{}", '"other", {}', '"a", W/{} ,"b"', "*"])
def test_if_none_match_lists_weak_tags_and_star_match(server, form):
    etag = get(server, "/static/hello.txt")[1]["etag"]
    assert get(server, "/static/hello.txt", [("If-None-Match", form.format(etag))])[::2] == (304, b"")


def test_a_stale_etag_gets_the_file(server):
    assert get(server, "/static/hello.txt", [("If-None-Match", '"stale-1"')])[::2] == (200, b"hello file\n")


def test_a_changed_file_gets_a_new_etag(server, site):
    first = get(server, "/static/hello.txt")[1]["etag"]
    (site / "www" / "hello.txt").write_bytes(b"hello file, longer now\n")
    status, headers, body = get(server, "/static/hello.txt", [("If-None-Match", first)])
    assert (status, body) == (200, b"hello file, longer now\n")
    assert headers["etag"] != first


def test_if_modified_since_with_the_last_modified_date_gets_304(server):
    modified = get(server, "/static/hello.txt")[1]["last-modified"]
    assert get(server, "/static/hello.txt", [("If-Modified-Since", modified)])[::2] == (304, b"")
    assert get(server, "/static/hello.txt", [("If-Modified-Since", "Sat, 01 Jan 2000 00:00:00 GMT")])[0] == 200


def test_last_modified_is_the_files_mtime_in_http_date_form(server, site):
    os.utime(str(site / "www" / "hello.txt"), (1700000000, 1700000000))
    assert get(server, "/static/hello.txt")[1]["last-modified"] == "Tue, 14 Nov 2023 22:13:20 GMT"


def test_a_file_dated_before_2010_gets_no_last_modified(server, site):
    # a board whose clock was never set stamps its files near its epoch (2000)
    os.utime(str(site / "www" / "hello.txt"), (946771200, 946771200))
    status, headers, _ = get(server, "/static/hello.txt")
    assert status == 200 and "last-modified" not in headers and headers["etag"]


def test_a_timestamp_gives_the_etag_whatever_the_file(server, site):
    v1 = get(server, "/versioned/hello.txt?v=2024-05-01")[1]["etag"]
    (site / "www" / "hello.txt").write_bytes(b"changed, same version\n")
    assert get(server, "/versioned/hello.txt?v=2024-05-01")[1]["etag"] == v1
    assert get(server, "/versioned/hello.txt?v=2024-05-01", [("If-None-Match", v1)])[0] == 304
    v2 = get(server, "/versioned/hello.txt?v=2024-06-01")[1]["etag"]
    assert v2 != v1
    assert get(server, "/versioned/a.css?v=2024-05-01")[1]["etag"] != v1  # the path counts
    odd = get(server, '/versioned/hello.txt?v=%22quoted%22%20value')[1]["etag"]
    assert odd.count('"') == 2  # a timestamp with quotes still makes a valid tag


def test_cache_control_set_by_the_handler_wins(server):
    headers = get(server, "/cached/hello.txt")[1]
    assert headers["cache-control"] == "public, max-age=3600"


# ---- HEAD ----

def test_head_gets_the_headers_of_get_and_no_body(server):
    with server.connect() as s:
        s.sendall(b"HEAD /static/big.bin HTTP/1.1\r\nHost: t\r\n\r\nGET /static/hello.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        s.settimeout(5)
        data = b""
        while data.count(b"\r\n\r\n") < 2 or not data.endswith(b"hello file\n"):
            chunk = s.recv(65536)
            assert chunk
            data += chunk
    first, second = data.split(b"HTTP/1.1 200 OK")[1:]
    assert b"Content-Length: %d\r\n" % BIG in first and first.endswith(b"\r\n\r\n")
    assert second.endswith(b"\r\n\r\nhello file\n")


def test_head_of_a_gz_file_for_a_client_without_gzip(server):
    status, headers, rest = get(server, "/static/page.html", method="HEAD")
    assert status == 200 and rest == b""
    assert "content-encoding" not in headers and headers["vary"] == "Accept-Encoding"


# ---- ranges ----

@pytest.mark.parametrize("spec, first, last", [
    ("bytes=0-99", 0, 99), ("bytes=1000-", 1000, BIG - 1), ("bytes=-500", BIG - 500, BIG - 1),
    ("bytes=5-5", 5, 5), ("bytes=1048000-9999999", 1048000, BIG - 1), ("bytes=-9999999", 0, BIG - 1),
    ("bytes=1023-2049", 1023, 2049),
])
def test_a_single_range_gets_206_with_content_range(server, site, spec, first, last):
    data = (site / "www" / "big.bin").read_bytes()
    status, headers, body = get(server, "/static/big.bin", [("Range", spec)])
    assert status == 206
    assert headers["content-range"] == "bytes %d-%d/%d" % (first, last, BIG)
    assert body == data[first : last + 1]


@pytest.mark.parametrize("spec", ["bytes=%d-" % BIG, "bytes=2000000-2000100", "bytes=-0"])
def test_an_unsatisfiable_range_gets_416(server, spec):
    status, headers, body = get(server, "/static/big.bin", [("Range", spec)])
    assert status == 416
    assert headers["content-range"] == "bytes */%d" % BIG
    assert server.alive()


@pytest.mark.parametrize("spec", ["bytes=5-2", "bytes=0-1,5-6", "items=0-5", "bytes=x-y"])
def test_a_range_it_cannot_serve_gets_the_whole_file(server, spec):
    status, headers, body = get(server, "/static/hello.txt", [("Range", spec)])
    assert (status, body) == (200, b"hello file\n")


def test_if_range_with_a_stale_etag_gets_the_whole_file(server):
    etag = get(server, "/static/hello.txt")[1]["etag"]
    assert get(server, "/static/hello.txt", [("Range", "bytes=0-4"), ("If-Range", etag)])[::2] == (206, b"hello")
    assert get(server, "/static/hello.txt", [("Range", "bytes=0-4"), ("If-Range", '"old"')])[::2] == (200, b"hello file\n")


# ---- nothing outside the directory ----

TRAVERSALS = [
    "/static/../secret.txt",
    "/static/%2e%2e/secret.txt",
    "/static/%2E%2E/secret.txt",
    "/static/..%2fsecret.txt",
    "/static/%2e%2e%2fsecret.txt",
    "/static/sub/../../secret.txt",
    "/static/./../secret.txt",
    "/static/..\\secret.txt",
    "/static/..%5csecret.txt",
    "/static/sub%5c..%5c..%5csecret.txt",
    "/static//../secret.txt",
    "/static/%252e%252e/secret.txt",
    "/static/....//secret.txt",
    "/static/..%00/secret.txt",
    "/static/secret.txt%00.txt",
    "/static/link.txt",
    "/static/rel-link.txt",
    "/static/linkdir/secret.txt",
    "/whole/../secret.txt",
    "/file?path=../secret.txt",
    "/file?path=..%2Fsecret.txt",
    "/file?path=sub%2F..%2F..%2Fsecret.txt",
    "/file?path=..%5Csecret.txt",
    "/file?path=%2Fetc%2Fpasswd",
    "/file?path=..%2Fsecret.txt%00",
    "/file?path=hello.txt%00..%2F..%2Fsecret.txt",
    "/file?path=linkdir%2Fsecret.txt",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_no_request_reads_outside_the_directory(server, target):
    status, _, body = get(server, target)
    assert status in (400, 404)
    assert SECRET not in body
    assert server.alive()


def test_a_symlink_inside_the_folder_is_followed_on_cpython_only(server, site, runtime):
    # CPython resolves it (os.path.realpath) and serves it when it stays inside;
    # MicroPython has no realpath/lstat: its unix port refuses every symlink.
    os.symlink("hello.txt", str(site / "www" / "alias.txt"))
    status, _, body = get(server, "/static/alias.txt")
    if runtime == "cpython":
        assert (status, body) == (200, b"hello file\n")
    else:
        assert status == 404


def test_an_absolute_path_to_the_secret_is_looked_up_inside(server, site):
    target = "/file?path=" + str(site / "secret.txt").replace("/", "%2F")
    status, _, body = get(server, target)
    assert status == 404 and SECRET not in body
    status, _, body = get(server, "/static/" + str(site / "secret.txt"))
    assert status == 404 and SECRET not in body


def test_every_traversal_in_a_row_on_one_connection_leaves_the_server_up(server):
    with server.connect() as s:
        for target in TRAVERSALS:
            s.sendall(("GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % target).encode("latin-1"))
            try:
                status, headers, body, rest = read_response(s)
            except ConnectionError:
                break  # a 400 on the head closes the connection: fine
            assert status in (400, 404) and SECRET not in body and rest == b""
            if headers.get("connection") == "close":
                break
    assert server.alive()
    assert get(server, "/static/hello.txt")[2] == b"hello file\n"


# ---- one file at a time, the rest keeps going ----

def test_a_file_download_does_not_hold_up_five_other_clients(server, site):
    data = (site / "www" / "big.bin").read_bytes()
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the server has to wait for us
    slow.settimeout(10)
    slow.connect((server.host, server.port))
    slow.sendall(b"GET /static/big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
    first = slow.recv(4096)
    assert first.startswith(b"HTTP/1.1 200")
    results = []

    def client(n):
        for i in range(10):
            status, _, body = server.request("GET", "/hello", timeout=10)
            results.append((status, body))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(5)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [(200, b"hello")] * 50
    assert time.monotonic() - started < 20
    # a second download waits for the lock, then arrives whole too
    second = {}

    def download():
        second["r"] = server.request("GET", "/static/big.bin", timeout=30)

    t2 = threading.Thread(target=download)
    t2.start()
    rest = first
    deadline = time.monotonic() + 30
    while len(rest) < BIG + 200 and time.monotonic() < deadline:
        chunk = slow.recv(65536)
        if not chunk:
            break
        rest += chunk
        if rest.find(b"\r\n\r\n") >= 0 and len(rest) - rest.find(b"\r\n\r\n") - 4 >= BIG:
            break
    slow.close()
    assert rest[rest.find(b"\r\n\r\n") + 4 :] == data
    t2.join(30)
    assert second["r"][0] == 200 and second["r"][2] == data


def test_a_client_that_vanishes_mid_file_releases_the_lock(server, site):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect((server.host, server.port))
    s.sendall(b"GET /static/big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
    assert s.recv(100).startswith(b"HTTP/1.1 200")
    s.close()
    status, _, body = server.request("GET", "/static/big.bin", timeout=30)
    assert status == 200 and body == (site / "www" / "big.bin").read_bytes()


def test_a_client_that_stops_reading_loses_the_lock_after_the_write_timeout(server, site):
    huge = os.urandom(1 << 20) * 8  # more than the kernel's socket buffers can hold
    (site / "www" / "huge.bin").write_bytes(huge)
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.settimeout(30)
    stalled.connect((server.host, server.port))
    stalled.sendall(b"GET /static/huge.bin HTTP/1.1\r\nHost: t\r\n\r\n")
    assert stalled.recv(100).startswith(b"HTTP/1.1 200")
    # the app's write_timeout is 2 s: the next download waits that long at most
    started = time.monotonic()
    status, _, body = server.request("GET", "/static/big.bin", timeout=30)
    assert status == 200 and body == (site / "www" / "big.bin").read_bytes()
    assert time.monotonic() - started < 15
    got = 0
    while True:  # the stalled download was cut short, not completed
        chunk = stalled.recv(65536)
        if not chunk:
            break
        got += len(chunk)
    stalled.close()
    assert got < len(huge)


# ---- size discipline ----

def test_importing_the_package_does_not_load_static(runtime):
    import subprocess
    from helpers import MICROPYTHON, PYTHON, ROOT

    if runtime not in ("micropython", "cpython"):
        pytest.skip("checked on the source runtimes")
    code = "import sys, aiowebserver; print('aiowebserver.static' in sys.modules)"
    if runtime == "cpython":
        argv, env = [PYTHON, "-c", code], {"PYTHONPATH": ROOT}
    else:
        argv, env = [MICROPYTHON, "-c", code], {"MICROPYPATH": ROOT + ":.frozen"}
    out = subprocess.run(argv, env=dict(os.environ, **env), capture_output=True, timeout=30, cwd=ROOT)
    assert out.stdout.strip() == b"False", out.stderr


# ---- the example, in a real browser ----

CHROMIUM = "/usr/bin/chromium"


def test_the_static_example_in_a_real_browser_lists_serves_gzips_and_revalidates(start_app, runtime):
    from helpers import ROOT

    if not os.path.exists(CHROMIUM):
        pytest.skip("chromium missing: make browser")
    sync_api = pytest.importorskip("playwright.sync_api")
    # a browser opens six connections at once: the 64k heaps get some room
    app = start_app(os.path.join(ROOT, "examples", "static.py"), heap=roomy(runtime, gunzip=True))
    url = app.url
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page()
            seen = []
            page.on("response", lambda r: seen.append((r.url[len(url):], r.status, r.headers.get("content-encoding"))))
            page.goto(url + "/")
            # the listing: links and sizes, the .gz file under its served name
            assert page.locator("a").all_inner_texts() == [
                "app.js", "data.json", "docs/", "hello.txt", "logo.svg", "notes.html", "page.html", "style.css"]
            assert "505 B" in page.inner_text("body") and "(gzip)" in page.inner_text("body")
            page.click("text=page.html")
            page.wait_for_selector("#status.ok", timeout=10000)  # app.js ran, data.json parsed
            assert page.eval_on_selector("h1", "e => getComputedStyle(e).color") == "rgb(20, 90, 160)"
            assert page.eval_on_selector("img", "e => e.naturalWidth") == 120
            del seen[:]
            page.reload()
            page.wait_for_selector("#status.ok", timeout=10000)
            revalidated = {path for path, status, _ in seen if status == 304}
            assert {"/style.css", "/app.js", "/logo.svg"} <= revalidated
            del seen[:]
            page.click("text=notes.html")
            assert page.inner_text("h1") == "Notes (from notes.html.gz)"
            assert ("/notes.html", 200, "gzip") in seen
            page.goto(url + "/docs")
            assert page.url == url + "/docs/" and page.inner_text("h1") == "docs/index.html"
        finally:
            browser.close()
    assert app.alive()
