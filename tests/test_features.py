"""URL parameters, hooks, error handlers, cookies, CORS, Basic auth and
uploads, as a client sees them over a real socket (tests/apps/features_app.py)."""
import base64
import hashlib
import json
import os
import time

import pytest

from helpers import ROOT, read_response


@pytest.fixture
def uploads(tmp_path):
    d = tmp_path / "uploads"
    d.mkdir()
    return d


@pytest.fixture
def app(start_app, uploads, runtime):
    # the app script itself is compiled on the device: more than 64 KB of heap
    heap = "128k" if runtime in ("mpy", "frozen") else None
    return start_app("features_app.py", heap=heap, env={"UPLOAD_DIR": str(uploads)})


def get_json(app, path, **kw):
    status, headers, body = app.request("GET", path, **kw)
    return status, json.loads(body)


def header_lines(app, request):
    """(status, [(name, value) as sent], body) of one request on its own connection."""
    out = app.raw(request)
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    pairs = [tuple(x.strip() for x in line.split(":", 1)) for line in lines[1:]]
    return int(lines[0].split()[1]), pairs, body


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()}


def multipart(fields, boundary="----aiowebserverTestBoundary7MA4YWxk"):
    """(body, headers) of a multipart/form-data request; fields: (name, filename or None, bytes)."""
    out = []
    for name, filename, data in fields:
        disp = 'form-data; name="%s"' % name
        if filename is not None:
            disp += '; filename="%s"' % filename
        out.append(b"--%s\r\nContent-Disposition: %s\r\n" % (boundary.encode(), disp.encode()))
        if filename is not None:
            out.append(b"Content-Type: application/octet-stream\r\n")
        out.append(b"\r\n" + data + b"\r\n")
    out.append(b"--%s--\r\n" % boundary.encode())
    return b"".join(out), {"Content-Type": "multipart/form-data; boundary=" + boundary}


def wait_until(condition, timeout=5.0):
    """Poll a condition the server changes on its own (bounded in time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


# ---- URL parameters ----

def test_an_int_parameter_arrives_as_an_int(app):
    assert get_json(app, "/led/5") == (200, {"params": {"pin": 5}, "int": True})
    assert get_json(app, "/led/-3")[1]["params"] == {"pin": -3}


def test_a_segment_that_is_not_a_number_does_not_match_an_int_parameter(app):
    # it goes on to the next route that matches: here a wildcard
    for path in ("/led/x", "/led/5x", "/led/+5", "/led/1.5"):
        assert app.request("GET", path)[2] == b"wildcard " + path.encode()


def test_an_exact_route_wins_over_a_parameter_route(app):
    assert get_json(app, "/led/all") == (200, {"exact": True, "params": {}})


def test_a_str_parameter_is_exactly_one_segment(app):
    assert get_json(app, "/user/bob") == (200, {"name": "bob"})
    status, body = get_json(app, "/user/bob/extra")
    assert status == 404 and body["error"] == "not found"
    assert get_json(app, "/user/")[0] == 404  # an empty segment does not match


def test_a_percent_encoded_parameter_is_decoded(app):
    assert get_json(app, "/user/J%C3%BCrgen%20M")[1] == {"name": "Jürgen M"}


def test_two_parameters_in_one_path(app):
    assert get_json(app, "/user/alice/posts/42")[1] == {"name": "alice", "post": 42}


def test_a_path_parameter_takes_the_rest_of_the_path(app):
    assert get_json(app, "/files/css/site/main.css")[1] == {"rest": "css/site/main.css"}
    assert get_json(app, "/files/x")[1] == {"rest": "x"}
    assert get_json(app, "/files/")[0] == 404


def test_http404_in_a_parameter_route_goes_on_to_the_next_route(app):
    assert app.request("GET", "/maybe/7")[2] == b"small 7"
    assert app.request("GET", "/maybe/700")[2] == b"big 700"


def test_a_route_after_a_passing_parameter_route_sees_no_parameters(app):
    assert get_json(app, "/pass/5")[1] == {"wildcard": "/pass/5", "params": {}}


def test_a_parameter_route_with_another_method_is_405_with_allow(app):
    status, headers, body = app.request("POST", "/led/3")
    assert status == 405
    assert set(headers["allow"].replace(" ", "").split(",")) == {"GET", "PUT", "HEAD"}
    assert json.loads(body) == {"error": "method not allowed", "status": 405}


def test_put_with_a_parameter_and_a_json_body(app):
    status, _, body = app.request("PUT", "/led/13", body=json.dumps({"value": 1}),
                                  headers={"Content-Type": "application/json"})
    assert (status, json.loads(body)) == (200, {"pin": 13, "value": 1})


def test_head_on_a_parameter_route_has_no_body(app):
    status, pairs, body = header_lines(app, b"HEAD /led/5 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert status == 200 and body == b"" and int(dict(pairs)["Content-Length"]) > 0


def test_a_plain_route_sees_empty_params(app):
    get_json(app, "/led/9")  # a parameter route first, on another connection
    assert get_json(app, "/plain")[1] == {"params": {}}


# ---- hooks and error handlers ----

def test_a_before_request_hook_can_answer_instead_of_the_route(app):
    status, _, body = app.request("GET", "/blocked")
    assert (status, body) == (403, b"blocked by a before_request hook")


def test_an_after_request_hook_adds_a_header_to_every_answer(app):
    first = int(app.request("GET", "/led/1")[1]["x-after"])
    assert int(app.request("GET", "/plain")[1]["x-after"]) == first + 1


def test_hooks_run_once_per_request(app):
    before = get_json(app, "/seen")[1]
    for _ in range(3):
        app.request("GET", "/led/1")
    after = get_json(app, "/seen")[1]
    assert after["before"] - before["before"] == 4 and after["after"] - before["after"] == 4


def test_errorhandler_404_answers_unknown_paths_with_status_404(app):
    status, headers, body = app.request("GET", "/no/such/thing")
    assert status == 404 and headers["content-type"] == "application/json"
    assert json.loads(body) == {"error": "not found", "path": "/no/such/thing", "status": 404}


def test_a_declared_body_over_the_limit_is_413_before_the_handler_runs(app):
    status, headers, body = app.exchange(
        b"POST /small-body HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999\r\n\r\n")
    assert status == 413 and headers["connection"] == "close"
    assert body == b"custom 413: too large"  # through the app's errorhandler(413)
    assert app.alive()


def test_errorhandler_for_an_exception_class(app):
    status, _, body = app.request("GET", "/divide/0")
    assert (status, json.loads(body)) == (400, {"error": "division by zero"})
    assert app.request("GET", "/divide/4")[2] == b"25"


def test_an_exception_without_a_handler_is_still_500_and_logged(app):
    status, _, body = app.request("GET", "/crash")
    assert (status, body) == (500, b"500 Internal Server Error\n")
    assert "not handled by an errorhandler" in app.log()
    assert app.alive()


# ---- cookies ----

def test_cookies_sent_by_the_browser_are_in_rq_cookies(app):
    cookie = 'session=abc123; theme="dark blue"; name=J%C3%BCrgen'
    assert get_json(app, "/cookies", headers={"Cookie": cookie})[1] == {
        "session": "abc123", "theme": "dark blue", "name": "Jürgen"}


def test_no_cookie_header_gives_an_empty_dict(app):
    assert get_json(app, "/cookies")[1] == {}


@pytest.mark.parametrize("header,expected", [
    ("=", {}),
    (";;; ;", {}),
    ("novalue", {}),
    ('"', {}),
    ("=orphan; a=1", {"a": "1"}),
    ("a=%zz; b=%C3", {"a": "%zz", "b": "%C3"}),
    ("a=1; a=2", {"a": "1"}),
    ('a="unterminated; b=2', {"a": '"unterminated', "b": "2"}),
    ("a=b=c", {"a": "b=c"}),
    ("x" * 600 + "=1", {"x" * 600: "1"}),
])
def test_a_bad_cookie_header_never_crashes_the_handler(app, header, expected):
    assert get_json(app, "/cookies", headers={"Cookie": header}) == (200, expected)


def test_rq_cookies_is_parsed_once_per_request(app):
    assert get_json(app, "/cookies/twice", headers={"Cookie": "a=1"})[1] == {"same": True}


def test_set_cookie_sends_set_cookie_headers_with_the_attributes(app):
    status, pairs, _ = header_lines(app, b"GET /cookies/set HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    cookies = [v for k, v in pairs if k.lower() == "set-cookie"]
    assert status == 200
    assert cookies == ["session=abc; Path=/; HttpOnly; SameSite=Lax",
                       "prefs=dark; Path=/app; Max-Age=3600; SameSite=Strict; Secure"]


def test_a_cookie_value_with_special_characters_round_trips(app):
    value = 'a b;c,d"e\\f%g é'
    query = "/cookies/set?name=note&value=" + "".join("%%%02X" % b for b in value.encode())
    status, pairs, _ = header_lines(app, b"GET " + query.encode() + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    sent = [v for k, v in pairs if v.startswith("note=")][0]
    raw = sent.split(";")[0][len("note="):]
    assert all(c not in raw for c in ' ;,"\\') and raw.isascii()
    assert get_json(app, "/cookies", headers={"Cookie": "note=" + raw})[1] == {"note": value}


def test_delete_cookie_expires_it_at_once(app):
    _, pairs, _ = header_lines(app, b"GET /cookies/delete HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert ("Set-Cookie", "session=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT") in pairs


def test_a_number_as_cookie_value_is_sent_as_text(app):
    _, pairs, _ = header_lines(app, b"GET /cookies/number HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert ("Set-Cookie", "visits=42; Path=/; HttpOnly; SameSite=Lax") in pairs


def test_bad_cookie_names_and_late_cookies_are_errors_for_the_app(app):
    assert app.request("GET", "/cookies/bad")[2] == (
        b"ok ValueError ValueError ValueError ValueError ValueError RuntimeError")


# ---- CORS ----

PREFLIGHT = {"Origin": "http://allowed.example", "Access-Control-Request-Method": "DELETE",
             "Access-Control-Request-Headers": "content-type, x-token"}


def test_a_preflight_from_an_allowed_origin_gets_204_and_the_allow_headers(app):
    status, headers, body = app.request("OPTIONS", "/api/data", headers=PREFLIGHT)
    assert (status, body) == (204, b"")
    assert headers["access-control-allow-origin"] == "http://allowed.example"
    assert headers["access-control-allow-credentials"] == "true"
    assert "DELETE" in headers["access-control-allow-methods"]
    assert headers["access-control-allow-headers"] == "content-type, x-token"
    assert headers["access-control-max-age"] == "600"
    assert headers["vary"] == "Origin"


def test_a_preflight_is_answered_for_a_path_whose_routes_are_get_only(app):
    status, headers, _ = app.request("OPTIONS", "/pub/info", headers={
        "Origin": "http://anyone.example", "Access-Control-Request-Method": "GET"})
    assert status == 204
    assert headers["access-control-allow-origin"] == "*"
    assert headers["access-control-max-age"] == "60"


def test_a_preflight_answer_keeps_the_connection_open(app):
    req = (b"OPTIONS /pub/info HTTP/1.1\r\nHost: t\r\nOrigin: http://a.example\r\n"
           b"Access-Control-Request-Method: GET\r\n\r\n")
    with app.connect() as s:
        s.sendall(req + b"GET /pub/info HTTP/1.1\r\nHost: t\r\nOrigin: http://a.example\r\n\r\n")
        status, headers, body, rest = read_response(s)
        assert status == 204 and "connection" not in headers
        s2 = _Prefixed(s, rest)
        status, headers, body, _ = read_response(s2)
        assert (status, body, headers["access-control-allow-origin"]) == (200, b"public", "*")


class _Prefixed:
    def __init__(self, sock, pre):
        self.sock, self.pre = sock, pre

    def settimeout(self, t):
        self.sock.settimeout(t)

    def recv(self, n):
        if self.pre:
            data, self.pre = self.pre, b""
            return data
        return self.sock.recv(n)


def test_a_preflight_from_another_origin_is_refused(app):
    status, headers, _ = app.request("OPTIONS", "/api/data", headers=dict(PREFLIGHT, Origin="http://evil.example"))
    assert status == 403 and "access-control-allow-origin" not in headers


def test_an_allowed_origin_gets_the_cors_headers_on_the_answer(app):
    status, headers, body = app.request("GET", "/api/data", headers={"Origin": "http://allowed.example"})
    assert json.loads(body) == {"data": [1, 2, 3]}
    assert headers["access-control-allow-origin"] == "http://allowed.example"
    assert headers["access-control-expose-headers"] == "X-Count"
    assert headers["x-count"] == "3"


def test_another_origin_gets_the_answer_without_cors_headers(app):
    status, headers, _ = app.request("GET", "/api/data", headers={"Origin": "http://evil.example"})
    assert status == 200 and not any(k.startswith("access-control-") for k in headers)


def test_same_origin_requests_and_paths_outside_the_prefix_get_no_cors_headers(app):
    assert not any(k.startswith("access-control-") for k in app.request("GET", "/api/data")[1])
    headers = app.request("GET", "/led/1", headers={"Origin": "http://allowed.example"})[1]
    assert not any(k.startswith("access-control-") for k in headers)


def test_any_origin_with_credentials_gets_its_own_origin_echoed_not_a_star(app):
    status, headers, body = app.request("GET", "/cred/me", headers={"Origin": "http://a.example", "Cookie": "s=1"})
    assert json.loads(body) == {"s": "1"}
    assert headers["access-control-allow-origin"] == "http://a.example"
    assert headers["access-control-allow-credentials"] == "true" and headers["vary"] == "Origin"


def test_an_options_request_outside_the_cors_prefix_is_routed_as_usual(app):
    status, headers, _ = app.request("OPTIONS", "/led/1", headers=PREFLIGHT)
    assert status == 405 and "access-control-allow-origin" not in headers


# ---- Basic auth ----

def test_no_credentials_get_401_with_www_authenticate(app):
    status, headers, body = app.request("GET", "/admin")
    assert (status, body) == (401, b"401 Unauthorized\n")
    assert headers["www-authenticate"] == 'Basic realm="Device", charset="UTF-8"'


def test_right_credentials_reach_the_handler_and_rq_user(app):
    assert app.request("GET", "/admin", headers=basic("admin", "s3cret:with colon"))[:3:2] == (200, b"welcome admin")


@pytest.mark.parametrize("headers", [
    basic("admin", "wrong"),
    basic("admin", "s3cret:with colo"),
    basic("admin", "s3cret:with colonX"),
    basic("Admin", "s3cret:with colon"),
    basic("", ""),
    {"Authorization": "Basic !!!not-base64"},
    {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
    {"Authorization": "Basic " + base64.b64encode(b"admin:\xff\xfe").decode()},
    {"Authorization": "Bearer abc"},
    {"Authorization": "Basic"},
])
def test_wrong_or_malformed_credentials_get_401(app, headers):
    status, rheaders, _ = app.request("GET", "/admin", headers=headers)
    assert status == 401 and rheaders["www-authenticate"].startswith("Basic ")


def test_a_check_function_decides_for_several_users(app):
    assert app.request("GET", "/who", headers=basic("alice", "wonderland"))[2] == b"you are alice"
    assert app.request("GET", "/who", headers=basic("bob", "builder"))[2] == b"you are bob"
    assert app.request("GET", "/who", headers=basic("bob", "wonderland"))[0] == 401


def test_rq_user_is_not_carried_to_the_next_request_on_the_connection(app):
    auth = basic("alice", "wonderland")["Authorization"].encode()
    with app.connect() as s:
        s.sendall(b"GET /who HTTP/1.1\r\nHost: t\r\nAuthorization: " + auth + b"\r\n\r\n"
                  b"GET /who-not-protected HTTP/1.1\r\nHost: t\r\n\r\n")
        status, _, body, rest = read_response(s)
        assert body == b"you are alice"
        assert read_response(_Prefixed(s, rest))[2] == b"user is None"


# ---- uploads ----

def test_a_1mb_file_and_a_field_are_uploaded_to_a_file(app, uploads):
    data = os.urandom(1024 * 1024)
    body, headers = multipart([("title", None, b"firmware v2"), ("file", "fw.bin", data)])
    status, _, res = app.request("POST", "/upload", body=body, headers=headers, timeout=60)
    assert status == 200, res
    title, file = json.loads(res)
    assert title["name"] == "title" and title["value"] == "firmware v2" and title["filename"] is None
    assert (file["name"], file["filename"], file["size"]) == ("file", "fw.bin", len(data))
    assert file["type"] == "application/octet-stream"
    assert (uploads / "fw.bin").read_bytes() == data
    assert sorted(os.listdir(uploads)) == ["fw.bin"]  # no temporary file left


def test_part_headers_and_quoted_names_reach_the_handler(app):
    body = (b'--B\r\nContent-Disposition: form-data; name="a \\"quoted\\" name; really"\r\n'
            b"X-Extra: yes\r\n\r\nv\r\n--B--\r\n")
    status, _, res = app.request("POST", "/upload", body=body, headers={"Content-Type": 'multipart/form-data; boundary="B"'})
    part = json.loads(res)[0]
    assert part["name"] == 'a "quoted" name; really'
    assert part["headers"]["x-extra"] == "yes" and part["value"] == "v"


def test_reading_a_part_in_small_pieces_gives_the_same_bytes(app):
    value = "".join(chr(0x41 + i % 26) for i in range(5000)) + "\r\n--almost-a-boundary\r\n"
    body, headers = multipart([("text", None, value.encode()), ("empty", None, b"")])
    status, _, res = app.request("POST", "/upload?n=7", body=body, headers=headers)
    assert [(p["size"], p["sha256"]) for p in json.loads(res)] == [
        (len(value), hashlib.sha256(value.encode()).hexdigest()), (0, hashlib.sha256(b"").hexdigest())]


def test_data_that_looks_like_the_boundary_stays_in_the_file(app, uploads):
    boundary = "XyZ"
    # every prefix of the delimiter CRLF--XyZ, but never all of it (RFC 2046 forbids that)
    data = (b"--XyZ--" + b"\r\n-XyZ" + b"\r\n--Xy" + b"\r\n--" + b"\r\n" + b"\r") * 300
    body, headers = multipart([("f", "tricky.bin", data)], boundary=boundary)
    assert app.request("POST", "/upload", body=body, headers=headers)[0] == 200
    assert (uploads / "tricky.bin").read_bytes() == data


def test_random_bodies_full_of_near_boundaries_arrive_intact(app, uploads):
    # 25 seeded random forms: parts of 0..3000 bytes made of CR, LF, '-' and
    # boundary letters, so delimiter prefixes fall on every buffer offset
    import random
    rnd = random.Random(8)
    boundary = "Bx-"
    for round_ in range(25):
        fields = []
        for i in range(rnd.randint(1, 4)):
            data = bytes(rnd.choice(b"\r\n-Bx") for _ in range(rnd.randint(0, 3000)))
            while b"\r\n--" + boundary.encode() in data:
                data = data.replace(b"\r\n--" + boundary.encode(), b"\r\n-")
            fields.append(("f%d" % i, "r%d_%d.bin" % (round_, i) if rnd.random() < 0.5 else None, data))
        body, headers = multipart(fields, boundary=boundary)
        n = rnd.choice([1, 7, 100, 4096])
        status, _, res = app.request("POST", "/upload?n=%d" % n, body=body, headers=headers)
        assert status == 200, (round_, res)
        got = json.loads(res)
        assert [p["name"] for p in got] == [f[0] for f in fields]
        for part, (name, filename, data) in zip(got, fields):
            if filename is None:
                assert (part["size"], part["sha256"]) == (len(data), hashlib.sha256(data).hexdigest()), round_
            else:
                assert part["size"] == len(data) and (uploads / filename).read_bytes() == data


def test_unread_parts_are_skipped(app):
    body, headers = multipart([("a", None, b"1" * 3000), ("half", None, b"abcdef"), ("c", "c.bin", b"zz")])
    assert json.loads(app.request("POST", "/upload-skip", body=body, headers=headers)[2]) == ["a", "half", "abc", "c"]


def test_a_preamble_and_an_epilogue_are_ignored(app):
    body = b"preamble text\r\n--B\r\nContent-Disposition: form-data; name=x\r\n\r\n1\r\n--B--\r\nepilogue"
    res = app.request("POST", "/upload", body=body, headers={"Content-Type": "multipart/form-data; boundary=B"})[2]
    assert [(p["name"], p["value"]) for p in json.loads(res)] == [("x", "1")]


def test_the_connection_serves_the_next_request_after_an_upload(app):
    body, headers = multipart([("x", None, b"1")])
    head = b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (
        headers["Content-Type"].encode(), len(body))
    with app.connect() as s:
        s.sendall(head + body + b"GET /plain HTTP/1.1\r\nHost: t\r\n\r\n")
        status, _, _, rest = read_response(s)
        assert status == 200
        assert read_response(_Prefixed(s, rest))[2] == b'{"params": {}}'


def test_an_upload_over_max_body_is_413_and_writes_nothing(app, uploads):
    body, headers = multipart([("file", "big.bin", b"x" * 1200000)])
    # head and the body's start only: the server answers at once, without
    # reading on (a client sending on would be cut off mid-send)
    head = b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (
        headers["Content-Type"].encode(), len(body))
    status, rheaders, _ = app.exchange(head + body[:1000])
    assert status == 413 and rheaders["connection"] == "close"
    assert os.listdir(uploads) == []
    assert app.alive()


def test_a_chunked_upload_that_grows_over_max_body_is_413_and_leaves_no_partial_file(app, uploads):
    body, headers = multipart([("file", "big.bin", b"")])
    start, end = body.split(b"\r\n\r\n", 1)
    start += b"\r\n\r\n"
    with app.connect(timeout=30) as s:
        s.sendall(b"POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
                  b"Content-Type: " + headers["Content-Type"].encode() + b"\r\n\r\n")
        s.sendall(b"%x\r\n%s\r\n" % (len(start), start))
        block = b"y" * 65536
        for _ in range(16):  # 1 MB of file data, under the 1.1 MB limit
            s.sendall(b"%x\r\n%s\r\n" % (len(block), block))
        # the server is writing big.bin.part now; this chunk crosses the limit
        s.sendall(b"%x\r\n" % (200 * 1024))
        status, headers_, body_, _ = read_response(s, timeout=30)
    assert status == 413 and body_ == b"custom 413: too large"
    assert wait_until(lambda: os.listdir(uploads) == []), os.listdir(uploads)
    assert app.alive()


def test_a_file_over_the_handlers_max_size_is_413_and_the_old_file_stays(app, uploads):
    body, headers = multipart([("f", "config.json", b"old contents")])
    assert app.request("POST", "/upload", body=body, headers=headers)[0] == 200
    body, headers = multipart([("f", "config.json", b"n" * 5000)])
    status, _, res = app.request("POST", "/upload?max=1000", body=body, headers=headers)
    assert (status, res) == (413, b"custom 413: too large")
    assert (uploads / "config.json").read_bytes() == b"old contents"
    assert os.listdir(uploads) == ["config.json"]


def test_a_client_that_goes_away_mid_upload_leaves_no_partial_file(app, uploads):
    body, headers = multipart([("file", "gone.bin", b"z" * 300000)])
    head = b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (
        headers["Content-Type"].encode(), len(body))
    with app.connect() as s:
        s.sendall(head + body[:200000])
        assert wait_until(lambda: os.listdir(uploads) == ["gone.bin.part"])  # being written
    assert wait_until(lambda: os.listdir(uploads) == []), os.listdir(uploads)
    assert app.alive()


@pytest.mark.parametrize("content_type,body,status", [
    ("multipart/form-data", b"--B\r\n\r\nx\r\n--B--\r\n", 400),  # no boundary parameter
    ("multipart/form-data; boundary=", b"--\r\n\r\nx\r\n----\r\n", 400),  # empty boundary
    ("multipart/form-data; boundary=" + "b" * 71, b"x", 400),  # longer than RFC 2046 allows
    ("multipart/form-data; boundary=Other", b"--B\r\n\r\nx\r\n--B--\r\n", 400),  # not in the body
    ("multipart/form-data; boundary=B", b"--B\r\nContent-Disposition: form-data; name=a\r\n\r\nno end", 400),
    ("multipart/form-data; boundary=B", b"--Bjunk\r\n\r\nx\r\n--B--\r\n", 400),  # boundary runs on
    ("multipart/form-data; boundary=B", b"--B\r\nNo colon\r\n\r\nx\r\n--B--\r\n", 400),
    ("multipart/form-data; boundary=B", b"--B\r\nX-Long: " + b"y" * 3000 + b"\r\n\r\nx\r\n--B--\r\n", 400),
    ("multipart/form-data; boundary=B", b"", 400),
    ("text/plain", b"--B\r\n\r\nx\r\n--B--\r\n", 415),
])
def test_a_malformed_multipart_body_is_a_client_error(app, uploads, content_type, body, status):
    assert app.request("POST", "/upload", body=body, headers={"Content-Type": content_type})[0] == status
    assert os.listdir(uploads) == []
    assert app.alive()


def test_no_content_type_at_all_is_400(app):
    assert app.exchange(b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nx")[0] == 400


SMALL_UPLOAD_APP = '''
import gc
import aiowebserver as web

web.limits.max_body = 1100000


@web.route("POST", "/up")
async def up(rq):
    size = 0
    async for part in rq.parts():
        size += await part.save("upload.bin")
    gc.collect()
    await rq.w("%d" % size)


web.run_forever()
'''


def test_a_1mb_upload_goes_to_a_file_through_a_heap_of_64kb(start_app, runtime, tmp_path):
    # the package precompiled (mpy, frozen) runs in 64 KB; from source, the
    # compiler needs more, so that runtime gets 128 KB: still 8x less than the file
    app_file = tmp_path / "small_upload.py"
    app_file.write_text(SMALL_UPLOAD_APP)
    heap = "64k" if runtime in ("mpy", "frozen") else "128k"
    app = start_app(str(app_file), heap=heap)
    data = os.urandom(1024 * 1024)
    body, headers = multipart([("firmware", "fw.bin", data)])
    status, _, res = app.request("POST", "/up", body=body, headers=headers, timeout=60)
    assert (status, res) == (200, b"%d" % len(data)), app.log()
    assert (tmp_path / "upload.bin").read_bytes() == data


# ---- the examples ----

def example(start_app, runtime, name, **kw):
    # examples are compiled from source at start: more than a 64 KB heap
    heap = "128k" if runtime in ("mpy", "frozen") else None
    return start_app(os.path.join(ROOT, "examples", name), heap=heap, **kw)


def test_gpio_api_example_reads_writes_and_toggles_simulated_pins(start_app, runtime):
    app = example(start_app, runtime, "gpio_api.py")
    status, pins = get_json(app, "/api/pins")
    assert status == 200 and pins["pins"]["8"] == 0 and "9" not in pins["pins"]
    status, _, body = app.request("PUT", "/api/pins/8", body=json.dumps({"value": 1}),
                                  headers={"Content-Type": "application/json"})
    assert (status, json.loads(body)) == (200, {"pin": 8, "value": 1})
    assert get_json(app, "/api/pins/8")[1] == {"pin": 8, "value": 1}
    assert json.loads(app.request("POST", "/api/pins/8/toggle")[2]) == {"pin": 8, "value": 0}
    assert get_json(app, "/api/pins/9")[0] == 404
    status, _, body = app.request("PUT", "/api/pins/8", body='{"value": 3}')
    assert (status, json.loads(body)) == (400, {"error": "value must be 0 or 1"})
    assert b"<title>GPIO</title>" in app.request("GET", "/")[2]


def test_cors_auth_example_answers_its_dashboards_preflight(start_app, runtime):
    app = example(start_app, runtime, "cors_auth.py")
    status, headers, _ = app.request("OPTIONS", "/api/settings", headers={
        "Origin": "http://localhost:8080", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert status == 204
    assert headers["access-control-allow-origin"] == "http://localhost:8080"
    assert headers["access-control-allow-headers"] == "Content-Type, Authorization"
    assert headers["access-control-allow-credentials"] == "true"
    status, headers, body = app.request("GET", "/api/status", headers={"Origin": "http://localhost:8080"})
    assert status == 200 and json.loads(body)["settings"]["interval"] == 10


def test_cors_auth_example_changes_settings_only_with_the_password(start_app, runtime):
    app = example(start_app, runtime, "cors_auth.py")
    change = json.dumps({"interval": 5})
    assert app.request("POST", "/api/settings", body=change)[0] == 401
    assert app.request("POST", "/api/settings", body=change, headers=basic("admin", "wrong"))[0] == 401
    assert json.loads(app.request("GET", "/api/status")[2])["settings"]["interval"] == 10
    status, _, body = app.request("POST", "/api/settings", body=change, headers=basic("admin", "change-me"))
    assert status == 200 and json.loads(body)["by"] == "admin"
    assert json.loads(app.request("GET", "/api/status")[2])["settings"]["interval"] == 5
    status, _, body = app.request("GET", "/admin", headers=basic("admin", "change-me"))
    assert status == 200 and b"Hello admin" in body


def test_upload_example_takes_a_file_and_refuses_one_over_1mb(start_app, runtime, tmp_path):
    app = example(start_app, runtime, "upload.py", env={"UPLOAD_DIR": str(tmp_path / "up")})
    data = os.urandom(300000)
    body, headers = multipart([("file", "../photo 1.jpg", data)])
    status, _, res = app.request("POST", "/upload", body=body, headers=headers, timeout=60)
    assert (status, res) == (200, b"saved: photo1.jpg (300000 bytes)\n")
    assert (tmp_path / "up" / "photo1.jpg").read_bytes() == data
    assert app.request("GET", "/files")[2] == b"photo1.jpg\n"
    big, headers = multipart([("file", "big.bin", b"b" * (1024 * 1024 + 1))])
    status, _, res = app.request("POST", "/upload", body=big, headers=headers, timeout=60)
    assert (status, res) == (413, b"413: files up to 1048576 bytes\n")
    assert sorted(os.listdir(tmp_path / "up")) == ["photo1.jpg"]


# ---- in a real browser (headless Chromium driven by Playwright) ----

def test_the_upload_page_shows_progress_and_saves_the_file(start_app, runtime, browser, tmp_path):
    app = example(start_app, runtime, "upload.py", env={"UPLOAD_DIR": str(tmp_path / "up")})
    page = browser.new_page()
    page.goto(app.url + "/")
    data = os.urandom(512 * 1024)
    page.set_input_files("#file", files=[{"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": data}])
    page.click("button")
    page.wait_for_selector("#result:text('200 saved: photo.jpg (524288 bytes)')", timeout=30000)
    assert page.eval_on_selector("#bar", "b => b.value") == 100
    assert page.inner_text("#pct") == "100%"
    page.wait_for_selector("#files:text('photo.jpg')", timeout=10000)
    assert (tmp_path / "up" / "photo.jpg").read_bytes() == data
    page.close()
    assert app.alive()


FETCH = """async ([url, init]) => {
  try {
    const r = await fetch(url, init);
    return {status: r.status, text: await r.text(), count: r.headers.get('X-Count')};
  } catch (e) { return {error: String(e)}; }
}"""


@pytest.fixture
def two_origins(start_app, uploads, runtime):
    """Two servers = two origins: the API at api.url allows page.url's origin."""
    heap = "128k" if runtime in ("mpy", "frozen") else None
    page = start_app("features_app.py", heap=heap, env={"UPLOAD_DIR": str(uploads)})
    api = start_app("features_app.py", heap=heap, env={"UPLOAD_DIR": str(uploads), "CORS_ORIGIN": page.url})
    return page, api


def test_a_page_of_an_allowed_origin_can_call_the_api_with_credentials(two_origins, browser):
    site, api = two_origins
    page = browser.new_page()
    page.goto(site.url + "/page")
    res = page.evaluate(FETCH, [api.url + "/api/data", {"credentials": "include"}])
    assert res == {"status": 200, "text": '{"data": [1, 2, 3]}', "count": "3"}
    # DELETE with a custom header is not a simple request: the browser sends a preflight first
    res = page.evaluate(FETCH, [api.url + "/api/data", {"method": "DELETE", "headers": {"X-Token": "t"}}])
    assert (res["status"], res["text"]) == (200, "deleted")
    page.close()


def test_a_page_of_another_origin_cannot_read_the_api(two_origins, browser):
    site, api = two_origins
    page = browser.new_page()
    page.goto(api.url + "/page")  # the API server's origin is not allowed by the first server
    assert "error" in page.evaluate(FETCH, [site.url + "/api/data", {}])
    assert "error" in page.evaluate(FETCH, [site.url + "/api/data", {"method": "DELETE"}])
    # paths under the open prefix answer any origin
    res = page.evaluate(FETCH, [site.url + "/pub/info", {}])
    assert (res["status"], res["text"]) == (200, "public")
    page.close()
