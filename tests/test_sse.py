"""Server-Sent Events routes, read with http.client and raw sockets as a browser would."""
import http.client
import json
import socket
import time

import pytest

APP = "sse_app.py"


@pytest.fixture
def sse_app(start_app, runtime):
    # the app is compiled from source at start: 64 KB of heap cannot hold that and the package
    return start_app(APP, heap="128k" if runtime == "mpy" else None)


def open_stream(app, path, headers=None):
    conn = http.client.HTTPConnection(app.host, app.port, timeout=10)
    conn.request("GET", path, headers=headers or {})
    return conn, conn.getresponse()


def read_events(resp, count=None):
    """Parse the stream into a list of events (dicts of field -> value; data lines joined)."""
    events, fields, data = [], {}, []
    while count is None or len(events) < count:
        line = resp.readline()
        if not line:
            break
        line = line.decode().rstrip("\n")
        if line == "":
            if data:
                fields["data"] = "\n".join(data)
            if fields:
                events.append(fields)
            fields, data = {}, []
        elif line.startswith(":"):
            events.append({"comment": line[1:].strip()})
        else:
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                data.append(value)
            else:
                fields[name] = value
    return events


def poll_stats(app, until, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        stats = json.loads(app.request("GET", "/stats")[2])
        if until(stats) or time.monotonic() > deadline:
            return stats
        time.sleep(0.05)  # polling interval of a bounded wait, not a synchronisation sleep


def test_a_stream_is_an_uncached_event_stream(sse_app):
    conn, resp = open_stream(sse_app, "/events")
    assert resp.status == 200
    assert resp.getheader("Content-Type") == "text/event-stream"
    assert resp.getheader("Cache-Control") == "no-cache"
    conn.close()


def test_events_carry_data_ids_names_and_retry(sse_app):
    conn, resp = open_stream(sse_app, "/events")
    events = read_events(resp)
    conn.close()
    assert events == [
        {"retry": "1500"},
        {"data": "first"},
        {"event": "multi", "id": "2", "data": "line one\nline two\nline three"},
        {"id": "x3", "data": "bytes too"},
        {"event": "edge", "data": "trailing newline\n"},
    ]


def test_multi_line_data_is_sent_as_several_data_lines(sse_app):
    raw = sse_app.raw(b"GET /events HTTP/1.0\r\n\r\n")  # HTTP/1.0: no chunk framing in the way
    assert b"\r\n\r\nretry: 1500\n\n" in raw
    assert b"event: multi\nid: 2\ndata: line one\ndata: line two\ndata: line three\n\n" in raw


def test_the_stream_ends_when_the_handler_returns(sse_app):
    conn, resp = open_stream(sse_app, "/events")
    read_events(resp)
    assert resp.isclosed() or resp.read() == b""
    conn.close()
    assert sse_app.alive()


def test_a_reconnecting_browser_s_last_event_id_reaches_the_handler(sse_app):
    conn, resp = open_stream(sse_app, "/resume", headers={"Last-Event-ID": "41"})
    assert read_events(resp, 1) == [{"event": "resume", "data": "41|41"}]
    conn.close()
    conn, resp = open_stream(sse_app, "/resume")
    assert read_events(resp, 1) == [{"event": "resume", "data": "None|None"}]
    conn.close()


def test_a_multi_line_id_is_a_value_error_for_the_handler(sse_app):
    conn, resp = open_stream(sse_app, "/bad-id")
    assert read_events(resp, 1) == [{"data": "ValueError for a multi-line id"}]
    conn.close()


def test_a_quiet_stream_gets_keep_alive_comments(sse_app):
    conn, resp = open_stream(sse_app, "/quiet")
    assert read_events(resp, 2) == [{"comment": "ping"}, {"comment": "ping"}]
    conn.close()


def test_a_client_that_leaves_ends_a_busy_stream_and_frees_the_connection(sse_app):
    conn, resp = open_stream(sse_app, "/clock")
    events = read_events(resp, 3)
    assert [e["data"] for e in events] == ["tick 0", "tick 1", "tick 2"]
    assert [e["id"] for e in events] == ["0", "1", "2"]
    resp.fp.raw._sock.shutdown(socket.SHUT_RDWR)  # the browser tab closes
    conn.close()
    stats = poll_stats(sse_app, lambda s: s["ended"] == 1)
    assert stats["active"] == 0 and stats["ended"] == 1
    # the handler learnt it from rq.w (ConnectionClosed) or was cancelled while it slept
    assert stats["closed_error"] + stats["cancelled"] == 1
    assert sse_app.alive()


def test_a_client_that_leaves_a_silent_stream_ends_it_too(sse_app):
    conn, resp = open_stream(sse_app, "/quiet")
    assert read_events(resp, 1) == [{"comment": "ping"}]
    resp.fp.raw._sock.shutdown(socket.SHUT_RDWR)
    conn.close()
    stats = poll_stats(sse_app, lambda s: s["ended"] == 1)
    assert stats == {"active": 0, "ended": 1, "closed_error": 0, "cancelled": 1}


def test_many_streams_come_and_go_and_the_server_keeps_serving(sse_app):
    for round in range(3):
        streams = [open_stream(sse_app, "/clock") for _ in range(4)]
        for conn, resp in streams:
            assert read_events(resp, 1)[0]["data"] == "tick 0"
        for conn, resp in streams:
            resp.fp.raw._sock.shutdown(socket.SHUT_RDWR)
            conn.close()
    stats = poll_stats(sse_app, lambda s: s["ended"] == 12)
    assert stats["active"] == 0 and stats["ended"] == 12
    assert sse_app.alive()


def test_a_burst_of_events_arrives_complete_and_in_order(sse_app):
    conn, resp = open_stream(sse_app, "/burst?500")
    events = read_events(resp)
    conn.close()
    assert [e["id"] for e in events] == [str(n) for n in range(500)]
    assert events[-1]["data"] == "event number 499"


def test_head_of_a_stream_gets_the_headers_only(sse_app):
    status, headers, body = sse_app.request("HEAD", "/events")
    assert status == 200 and headers["content-type"] == "text/event-stream" and body == b""


def test_streams_beyond_the_cap_get_503_and_plain_pages_still_load(start_app):
    # 10 connections (the default): at most 8 streams, so pages still load;
    # eight streams of about 6 KB each beside the app's source
    sse_app = start_app(APP, heap="256k")
    streams = [open_stream(sse_app, "/quiet") for _ in range(8)]
    try:
        assert all(resp.status == 200 for conn, resp in streams)
        status, headers, _ = sse_app.request("GET", "/quiet")
        assert status == 503 and headers["retry-after"] == "5"
        assert sse_app.request("GET", "/stats")[0] == 200
    finally:
        for conn, resp in streams:
            conn.close()


def test_an_event_source_kept_after_its_stream_ended_keeps_its_own_request(sse_app):
    """Request objects are pooled for new connections; a stream's is not, so
    a broadcast list that still holds a finished stream gets ConnectionClosed
    and that stream's own request data, never the next client's."""
    conn, resp = open_stream(sse_app, "/keep", headers={"Cookie": "who=first"})
    assert [e["data"] for e in read_events(resp)] == ["kept"]
    conn.close()
    for _ in range(3):  # whichever pooled object each new connection gets
        out = sse_app.raw(b"GET /send-kept HTTP/1.1\r\nHost: t\r\nCookie: who=next\r\nConnection: close\r\n\r\n")
        assert b"late event" not in out
        assert out.startswith(b"HTTP/1.1 200 OK\r\n"), out
        assert out.endswith(b'ConnectionClosed, cookies {"who": "first"}'), out
