"""The core HTTP/1.1 engine and the request API, as a client sees them."""
import json

import h11
import pytest

from helpers import read_response


def h11_fetch(app, target, method="GET", headers=(), body=b""):
    """One request through h11, a strict HTTP/1.1 client: returns (status, headers, body)."""
    conn = h11.Connection(h11.CLIENT)
    hdrs = [("Host", "test")] + list(headers)
    if body:
        hdrs.append(("Content-Length", str(len(body))))
    out = conn.send(h11.Request(method=method, target=target, headers=hdrs))
    if body:
        out += conn.send(h11.Data(data=body))
    out += conn.send(h11.EndOfMessage())
    with app.connect() as s:
        s.sendall(out)
        status, rheaders, data = None, {}, b""
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(s.recv(65536))
                continue
            if isinstance(event, h11.Response):
                status = event.status_code
                rheaders = {k.decode().lower(): v.decode() for k, v in event.headers}
            elif isinstance(event, h11.Data):
                data += event.data
            elif isinstance(event, h11.EndOfMessage):
                return status, rheaders, data


# ---- routes and the request object ----

def test_a_browser_gets_hello_world_with_a_content_length(app):
    status, headers, body = app.request("GET", "/")
    assert (status, body) == (200, b"Hello, world!")
    assert headers["content-length"] == "13"
    assert headers["content-type"] == "text/html; charset=utf-8"


def test_chained_decorators_serve_both_paths(app):
    assert app.request("GET", "/index.htm")[2] == b"Hello, world!"


def test_the_handler_sees_method_path_query_and_lower_case_headers(app):
    status, _, body = app.request("GET", "/info?a=1&b=%20x", headers={"X-Thing": "Val"})
    info = json.loads(body)
    assert status == 200
    assert info["method"] == "GET" and info["path"] == "/info" and info["query"] == "a=1&b=%20x"
    assert info["headers"]["x-thing"] == "Val"


def test_a_path_without_query_has_query_none(app):
    assert json.loads(app.request("GET", "/info")[2])["query"] is None


def test_percent_encoded_path_is_decoded(app):
    assert app.request("GET", "/static/a%20b")[2] == b"wildcard /static/a b"


def test_query_decoding_plus_percent_utf8_lists_and_bare_keys(app):
    body = app.request("GET", "/query?a=1&b=x+y&a=%C3%A9t%C3%A9&flag&c=")[2]
    assert json.loads(body) == {"a": ["1", "été"], "b": "x y", "flag": True, "c": ""}


def test_no_query_decodes_to_empty_dict(app):
    assert json.loads(app.request("GET", "/query")[2]) == {}


def test_a_bad_percent_escape_in_the_query_is_400(app):
    assert app.request("GET", "/query?a=%zz")[0] == 400
    assert app.request("GET", "/query?a=%C3")[0] == 400  # not utf-8
    assert app.alive()


def test_urlencoded_form_with_charset_parameter(app):
    status, _, body = app.request(
        "POST", "/form", body="name=J%C3%BCrgen+M&x=1&x=2&on",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
    )
    assert status == 200
    assert json.loads(body) == {"is_form": True, "is_json": False,
                                "data": {"name": "Jürgen M", "x": ["1", "2"], "on": True}}


def test_json_body_with_charset_parameter(app):
    status, _, body = app.request(
        "POST", "/json", body=json.dumps({"led": True, "n": [1, 2]}),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert json.loads(body) == {"is_form": False, "is_json": True, "data": {"led": True, "n": [1, 2]}}


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b'"unterminated'])
def test_malformed_json_is_400_and_the_server_goes_on(app, body):
    assert app.request("POST", "/json", body=body, headers={"Content-Type": "application/json"})[0] == 400
    assert app.alive()


def test_malformed_form_is_400(app):
    assert app.request("POST", "/form", body="a=%G1",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})[0] == 400
    assert app.alive()


def test_body_over_the_limit_is_413(app):
    status, _, _ = app.exchange(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 999999\r\n\r\n")
    assert status == 413
    assert app.alive()


def test_body_read_in_small_pieces_arrives_whole(app):
    data = bytes(range(256)) * 10
    assert app.request("POST", "/echo", body=data)[2] == data


def test_a_chunked_request_body_is_decoded(app):
    req = (b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n")
    assert app.exchange(req) == (200, app.exchange(req)[1], b"hello, world")


def test_expect_100_continue_is_answered_before_the_body(app):
    with app.connect() as s:
        s.sendall(b"PUT /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        status, _, _, rest = read_response(s)
        assert status == 100
        s.sendall(b"abcde")
        assert read_response(s)[2] == b"abcde"


def test_return_status_with_and_without_text(app):
    assert app.request("GET", "/status?code=201")[:1] == (201,)
    with app.connect() as s:
        s.sendall(b"GET /status?code=418&text=I%27m+a+teapot HTTP/1.1\r\nHost: t\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 418 I'm a teapot\r\n")


@pytest.mark.parametrize("code", [200, 201, 204, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404,
                                  405, 408, 409, 413, 414, 415, 429, 431, 500, 501, 503])
def test_common_status_codes_have_their_text(app, code):
    with app.connect() as s:
        s.sendall(b"GET /status?code=%d HTTP/1.1\r\nHost: t\r\n\r\n" % code)
        line = s.recv(200).split(b"\r\n")[0]
    assert line.startswith(b"HTTP/1.1 %d " % code) and len(line) > 13


def test_204_and_304_have_no_body(app):
    for code in (204, 304):
        assert app.exchange(b"GET /status?code=%d HTTP/1.1\r\nHost: t\r\n\r\n" % code)[2] == b""


def test_custom_headers_and_text_content_type(app):
    status, headers, body = app.request("GET", "/headers")
    assert (status, body) == (201, b"with headers")
    assert headers["x-custom"] == "yes"
    assert headers["content-type"] == "text/plain; charset=utf-8"


def test_header_html_shortcut(app):
    assert app.request("GET", "/html")[1]["content-type"] == "text/html; charset=utf-8"


def test_w_none_sends_only_the_headers(app):
    status, headers, body = h11_fetch(app, "/headers-only")
    assert status == 200 and headers["x-only"] == "1" and body == b""


def test_status_and_headers_after_the_body_are_runtime_errors(app):
    assert app.request("GET", "/late-status")[2] == b"body first RuntimeError status RuntimeError header"


def test_status_after_a_header_is_a_runtime_error(app):
    assert app.request("GET", "/status-after-header")[:3:2] == (200, b"RuntimeError")


def test_redirect_is_302_with_location_and_nothing_else(app):
    status, headers, body = app.exchange(b"GET /redirect HTTP/1.1\r\nHost: t\r\n\r\n")
    assert (status, headers["location"], body) == (302, "/target", b"")


def test_permanent_redirect_is_301(app):
    status, headers, _ = app.exchange(b"GET /redirect-permanent HTTP/1.1\r\nHost: t\r\n\r\n")
    assert (status, headers["location"]) == (301, "/target")


def test_bytes_are_sent_as_is(app):
    assert app.request("GET", "/bytes")[2] == bytes(range(256))


# ---- routing ----

def test_wildcard_matches_every_path_under_the_prefix(app):
    assert app.request("GET", "/static/css/site.css")[2] == b"wildcard /static/css/site.css"


def test_an_exact_route_wins_over_a_wildcard(app):
    assert app.request("GET", "/static/exact")[2] == b"exact"


def test_several_methods_on_one_path(app):
    assert app.request("GET", "/methods")[2] == b"get"
    assert app.request("DELETE", "/methods")[2] == b"delete"


def test_a_known_path_with_a_wrong_method_is_405_with_allow(app):
    status, headers, _ = app.request("POST", "/methods")
    assert status == 405
    assert set(headers["allow"].replace(" ", "").split(",")) == {"GET", "DELETE", "HEAD"}


def test_an_unknown_path_goes_to_the_not_found_handler(app):
    status, _, body = app.request("GET", "/no/such/page")
    assert (status, body) == (404, b"custom 404 for /no/such/page")


def test_http404_falls_through_to_the_next_route(app):
    assert app.request("GET", "/pass")[2] == b"second handler"


# ---- framing, keep-alive, pipelining ----

def test_several_writes_are_chunked_and_valid_for_a_strict_parser(app):
    status, headers, body = h11_fetch(app, "/multi")
    assert headers["transfer-encoding"] == "chunked"
    assert body == b"part0;part1;part2;part3;part4;"


def test_writes_without_drain_arrive_complete(app):
    assert h11_fetch(app, "/nodrain")[2] == b"x0x1x2"


def test_a_large_streamed_body_arrives_whole(app):
    assert h11_fetch(app, "/big")[2] == b"0123456789abcdef" * 128 * 10


def test_a_handler_that_writes_nothing_gives_an_empty_200(app):
    status, headers, body = h11_fetch(app, "/empty")
    assert (status, headers["content-length"], body) == (200, "0", b"")


def test_head_answers_like_get_without_a_body(app):
    with app.connect() as s:
        s.sendall(b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    head, _, rest = out.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK") and b"Content-Length: 13" in head
    # nothing but the next response follows the HEAD answer on the wire
    assert rest.startswith(b"HTTP/1.1 200 OK") and rest.endswith(b"\r\n\r\nHello, world!")


def test_keep_alive_serves_many_requests_on_one_connection(app):
    with app.connect() as s:
        for i in range(20):
            s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            status, _, body, rest = read_response(s)
            assert (status, body, rest) == (200, b"Hello, world!", b"")


def test_pipelined_requests_are_answered_in_order(app):
    req = (b"GET / HTTP/1.1\r\nHost: t\r\n\r\n"
           b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
           b"GET /multi HTTP/1.1\r\nHost: t\r\n\r\n"
           b"GET /nope HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    with app.connect() as s:
        s.sendall(req)
        bodies = []
        rest = b""
        for _ in range(4):
            status, headers, body, rest = _parse_next(s, rest)
            bodies.append((status, body))
        assert s.recv(10) == b""  # closed after Connection: close
    assert bodies == [(200, b"Hello, world!"), (200, b"abc"),
                      (200, b"part0;part1;part2;part3;part4;"), (404, b"custom 404 for /nope")]


def _parse_next(sock, rest):
    """read_response that starts from bytes already received."""
    class Pre:
        def __init__(self, s, pre):
            self.s, self.pre = s, pre

        def settimeout(self, t):
            self.s.settimeout(t)

        def recv(self, n):
            if self.pre:
                d, self.pre = self.pre, b""
                return d
            return self.s.recv(n)

    return read_response(Pre(sock, rest))


def test_an_unread_body_is_skipped_before_the_next_request(app):
    with app.connect() as s:
        s.sendall(b"POST /ignore-body HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789"
                  b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        status, _, body, rest = read_response(s)
        assert body == b"ignored"
        assert _parse_next(s, rest)[2] == b"Hello, world!"


def test_http10_client_gets_a_framed_response_and_close(app):
    out = app.raw(b"GET /multi HTTP/1.0\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200 OK\r\n")
    head, _, body = out.partition(b"\r\n\r\n")
    assert b"Connection: close" in head and b"chunked" not in head
    assert body == b"part0;part1;part2;part3;part4;"


def test_connection_close_is_honoured(app):
    out = app.raw(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert out.endswith(b"Hello, world!") and b"Connection: close" in out


# ---- errors ----

@pytest.mark.parametrize("req", [
    b"GARBAGE\r\n\r\n",
    b"GET /\r\n\r\n",
    b"GET / HTTP/1.1 extra\r\n\r\n",
    b"get / HTTP/1.1\r\n\r\n",
    b"GET noslash HTTP/1.1\r\n\r\n",
    b"GET / FTP/1.0\r\n\r\n",
    b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
    b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
    b"GET /a\x00b HTTP/1.1\r\n\r\n",
    b"GET /%00 HTTP/1.1\r\n\r\n",
    b"GET /\xff\xfe HTTP/1.1\r\n\r\n",
    b"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
    b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
])
def test_a_malformed_request_is_400_and_the_server_goes_on(app, req):
    out = app.raw(req)
    assert out.startswith(b"HTTP/1.1 400 "), out
    assert app.alive()


def test_a_url_too_long_is_414(app):
    assert app.raw(b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 414 ")
    assert app.alive()


def test_too_many_headers_is_431(app):
    req = b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(40)) + b"\r\n"
    assert app.raw(req).startswith(b"HTTP/1.1 431 ")


def test_headers_too_large_is_431(app):
    req = b"GET / HTTP/1.1\r\nHost: t\r\nCookie: " + b"c" * 3000 + b"\r\n\r\n"
    assert app.raw(req).startswith(b"HTTP/1.1 431 ")
    assert app.alive()


def test_an_exception_in_a_handler_is_500_logged_and_the_server_goes_on(app):
    status, _, body = app.request("GET", "/boom")
    assert status == 500 and b"Traceback" not in body
    assert "handler bug for the test" in app.log()
    assert app.request("GET", "/")[2] == b"Hello, world!"


def test_an_exception_after_the_body_started_cuts_the_response(app):
    with pytest.raises(Exception):
        h11_fetch(app, "/boom-late")
    assert app.alive()


def test_an_idle_client_is_disconnected_after_the_timeout(app):
    with app.connect(timeout=10) as s:
        assert s.recv(10) == b""  # closed by the server (head_timeout = 2 s in the app)


def test_a_slow_head_gets_408(app):
    with app.connect(timeout=10) as s:
        s.sendall(b"GET / HTTP/1.1\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 408 ")


def test_bare_lf_line_ends_are_accepted(app):
    assert app.raw(b"GET / HTTP/1.1\nHost: t\nConnection: close\n\n").endswith(b"Hello, world!")


def test_empty_lines_before_the_request_line_are_ignored(app):
    assert app.raw(b"\r\n\r\nGET / HTTP/1.1\r\nConnection: close\r\n\r\n").endswith(b"Hello, world!")


def test_an_unknown_expectation_is_417(app):
    out = app.raw(b"POST /echo HTTP/1.1\r\nHost: t\r\nExpect: magic\r\nContent-Length: 1\r\n\r\nx")
    assert out.startswith(b"HTTP/1.1 417 ") and b"Connection: close" in out
    assert app.alive()


def test_a_transfer_coding_other_than_chunked_is_501(app):
    out = app.raw(b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 501 ")


def test_a_handler_that_calls_stop_gets_its_answer_out_and_the_process_ends(app):
    with app.connect() as idle:  # a keep-alive client waiting for its next request
        idle.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        read_response(idle)
        out = app.raw(b"POST /stop HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 200 OK") and out.endswith(b"stopping")
        assert app.proc.wait(10) == 0  # run_forever() returned: the script ended cleanly
        assert idle.recv(10) == b""  # the idle client was closed
    assert "Traceback" not in app.log() and "Exception" not in app.log()
