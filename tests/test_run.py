"""Ctrl-C, `make run` and the demo, as a user meets them: real processes,
real signals, real `make` invocations and a real browser."""
import os
import signal
import socket
import time

from helpers import read_response

KEY = "dGhlIHNhbXBsZSBub25jZQ=="


def wait_log(app, text, timeout=15.0):
    """Until the server's log shows text (the process may still print)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = app.log()
        if text in log:
            return log
        assert app.proc.poll() is None or text in app.log(), "process ended:\n" + app.log()
        time.sleep(0.02)  # polling interval, not synchronisation
    raise AssertionError("%r not in the log:\n%s" % (text, app.log()))


def wait_serving(app, n):
    """Until the log shows the n-th "serving on" line: the n-th run_forever() bound its port."""
    deadline = time.monotonic() + 15
    while app.log().count("serving on") < n:
        assert app.proc.poll() is None and time.monotonic() < deadline, app.log()
        time.sleep(0.02)  # polling interval, not synchronisation


def port_is_free(port):
    # as a new server binds it: SO_REUSEADDR, so only a listening socket is in the way
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def closed_by_server(sock):
    """True once the server closed the connection (EOF or reset), whatever it sent before."""
    sock.settimeout(10)
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    return True


def test_ctrl_c_stops_cleanly_idle_mid_request_and_with_live_streams_and_run_forever_runs_again(start_app):
    # the app is compiled from source at start, with sse and websocket: 64 KB is short for that
    app = start_app("stop_app.py", heap="128k" if start_app.runtime == "mpy" else None)
    # 1: idle, no request served yet
    app.proc.send_signal(signal.SIGINT)
    wait_log(app, "run 1 ended")
    # 2: the next run_forever() binds the same port again and serves
    wait_serving(app, 2)
    assert app.request("GET", "/")[2] == b"run 2"
    # live clients: a streamed answer, a half-sent head, an SSE stream, a WebSocket
    slow = app.connect()
    slow.sendall(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
    data = b""
    while b"more" not in data:
        chunk = slow.recv(4096)
        assert chunk, data
        data += chunk
    half = app.connect()
    half.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n")
    sse = app.connect()
    sse.sendall(b"GET /events HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n\r\n")
    data = b""
    while b"data: tick" not in data:
        chunk = sse.recv(4096)
        assert chunk, data
        data += chunk
    ws = app.connect()
    ws.sendall(("GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % KEY).encode())
    data = b""
    while b"hello" not in data:
        chunk = ws.recv(4096)
        assert chunk, data
        data += chunk
    assert data.startswith(b"HTTP/1.1 101 ")
    clients = [slow, half, sse, ws]
    if app.runtime != "cpython":  # (CPython's asyncio.run turns Ctrl-C into a cancellation at the next await)
        busy = app.connect()  # a handler computing when Ctrl-C comes: the interrupt is raised in it
        busy.sendall(b"GET /busy HTTP/1.1\r\nHost: t\r\n\r\n")
        data = b""
        while b"computing" not in data:
            chunk = busy.recv(4096)
            assert chunk, data
            data += chunk
        clients.append(busy)
    t0 = time.monotonic()
    app.proc.send_signal(signal.SIGINT)
    for sock in clients:
        assert closed_by_server(sock)
        sock.close()
    wait_log(app, "run 2 ended")
    assert time.monotonic() - t0 < 5  # not after the busy handler's 10 s
    # 3: serves again; Ctrl-C after a request ends the script
    wait_serving(app, 3)
    with app.connect() as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        assert read_response(s)[2] == b"run 3"
        app.proc.send_signal(signal.SIGINT)
        assert closed_by_server(s)  # the keep-alive connection is closed too
    assert app.proc.wait(15) == 0
    log = app.log()
    assert "run 3 ended" in log and log.count("aiowebserver: stopped") == 3
    assert "Traceback" not in log and "Error" not in log, log
    assert port_is_free(app.port)
