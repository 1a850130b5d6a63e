"""Ctrl-C, `make run` and the demo, as a user meets them: real processes,
real signals, real `make` invocations and a real browser."""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from helpers import ROOT, free_port, read_response, wait_for_port

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


# ---- make run ----

VENV = os.path.dirname(os.path.dirname(sys.executable))  # the venv running the tests (here and in CI)


def make(*args, **kw):
    """`make run ...` from the repository root, with the tests' venv taken as made."""
    return subprocess.Popen(
        ["make", "-s", "-o", os.path.join(VENV, "bin", ".installed"), "VENV=" + VENV] + list(args),
        cwd=ROOT, stdout=kw.pop("stdout", subprocess.PIPE), stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, **kw)


def test_make_run_serves_the_chosen_example_on_the_chosen_port_until_ctrl_c(tmp_path):
    port = free_port()
    with open(tmp_path / "make.log", "wb") as log:
        # its own process group, as a terminal runs it: Ctrl-C reaches make and the server
        proc = make("run", "EXAMPLE=websocket", "HTTP_PORT=%d" % port, stdout=log, start_new_session=True)
    try:
        assert wait_for_port(port, proc), (tmp_path / "make.log").read_text()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/")
        assert b"<title>aiowebserver: chat</title>" in conn.getresponse().read()
        conn.close()
        os.killpg(proc.pid, signal.SIGINT)
        status = proc.wait(15)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    log = (tmp_path / "make.log").read_text()
    assert status in (0, 130, -signal.SIGINT), log  # -2: make re-raises the SIGINT it got
    assert "examples/websocket.py on MicroPython" in log and "aiowebserver: stopped" in log, log
    assert "Traceback" not in log, log
    assert port_is_free(port)


def test_make_run_failures_say_the_cause_and_the_fix_in_one_line():
    out = make("run", "EXAMPLE=nosuch").communicate(timeout=60)[0].decode()
    assert out.count("\n") == 1 and "'nosuch'" in out, out
    listed = out.split("one of ")[1].replace(".  Stop.", "").split()
    assert "demo" in listed and "websocket" in listed and "static" in listed and "test_my_app" not in listed, out
    with socket.socket() as busy:  # another server on the port
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        out = make("run", "HTTP_PORT=%d" % port).communicate(timeout=60)[0].decode()
    assert out.count("\n") == 1 and ("port %d is in use" % port) in out and "HTTP_PORT=" in out, out


# ---- the demo ----

@pytest.mark.parametrize("runtime", ["micropython"])  # what `make run` runs
def test_the_demo_on_a_phone_shows_live_values_a_form_result_json_and_static_files(start_app, browser):
    app = start_app(os.path.join(ROOT, "examples", "demo.py"))
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    answers, problems = [], []
    page.on("response", lambda r: answers.append((r.status, r.url)))
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.goto(app.url + "/")
    # live values: pushed by the server, so they change while the user watches
    page.wait_for_selector("#state.live", timeout=10000)
    page.wait_for_function("+document.getElementById('count').textContent >= 1", timeout=10000)
    first = int(page.text_content("#count"))
    page.wait_for_function("+document.getElementById('count').textContent > %d" % first, timeout=10000)
    assert page.text_content("#free").isdigit()  # MicroPython's free heap
    # the form, answered by the JSON API and shown in the page
    page.fill("input[name=name]", "Grace")
    page.click("text=Greet")
    page.wait_for_function("document.getElementById('greeting').textContent == 'Hello, Grace!'", timeout=10000)
    page.wait_for_function("document.getElementById('json').textContent.indexOf('Grace') > 0", timeout=10000)
    shown = json.loads(page.text_content("#json"))
    assert shown["greeted"] == ["Grace"] and shown["platform"].startswith("micropython")
    assert page.text_content("#platform") == shown["platform"]
    # a static file (the logo) and the favicon
    assert page.evaluate("document.querySelector('img[alt=logo]').naturalWidth") == 120
    assert page.evaluate("fetch('/favicon.ico').then(r => r.status + ' ' + r.headers.get('content-type'))") \
        == "200 image/svg+xml"
    # readable on a phone: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.close()
    assert answers and all(status < 400 for status, url in answers), answers
    assert not problems, problems
    assert "Traceback" not in app.log()
