"""The seed-style examples run unchanged, and mip installs the package."""
import json
import os
import signal
import subprocess

import pytest

from helpers import MICROPYTHON, ROOT, wait_for_port

EXAMPLES = os.path.join(ROOT, "examples")


def test_simple_serves_its_index_page_on_both_paths(start_app):
    app = start_app(os.path.join(EXAMPLES, "simple.py"))
    for path in ("/", "/index.htm"):
        status, headers, body = app.request("GET", path)
        assert status == 200 and b"Hello, world!" in body


def test_simple_port_listens_on_its_chosen_port(start_app, tmp_path):
    app = start_app(os.path.join(EXAMPLES, "simple.py"))  # occupies nothing on 8080
    # simple_port.py sets port=[8080, 8081] itself: the env var must not override it
    argv = [a for a in app.proc.args]
    argv[-1] = os.path.join(EXAMPLES, "simple_port.py")
    env = dict(app.env)
    env.pop("AIOWEBSERVER_PORT", None)
    log = open(tmp_path / "port.log", "wb")
    proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(tmp_path))
    try:
        for port in (8080, 8081):
            if wait_for_port(port, proc, timeout=5):
                break
        else:
            pytest.fail((tmp_path / "port.log").read_text())
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/")
        assert conn.getresponse().read() == b"Hello, world! (on a chosen port)"
    finally:
        proc.terminate()
        proc.wait(5)


def test_simple_ext_loop_serves_beside_a_counting_task_and_ends_cleanly_on_ctrl_c(start_app):
    app = start_app(os.path.join(EXAMPLES, "simple_ext_loop.py"))
    body = app.request("GET", "/")[2]
    assert body.startswith(b"Hello, world! The counter is at ")
    app.proc.send_signal(signal.SIGINT)
    try:
        assert app.proc.wait(10) == 0, app.log()
    except subprocess.TimeoutExpired:
        raise AssertionError("still running 10 s after Ctrl-C:\n" + app.log())
    assert "stopped" in app.log() and "Traceback" not in app.log(), app.log()


def test_forms_and_404_get_post_json_and_custom_404(start_app):
    app = start_app(os.path.join(EXAMPLES, "forms_and_404.py"))
    assert b"fetch(" in app.request("GET", "/")[2]
    assert app.request("GET", "/get?name=Ada+L")[2].startswith(b"<p>GET form: name=Ada L</p>")
    body = app.request("POST", "/post", body="name=Gr%C3%A2ce&admin=on",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})[2]
    assert body.startswith("<p>POST form: name=Grâce admin=True</p>".encode())
    status, headers, body = app.request("POST", "/json", body='{"name": "Linus", "n": 42}',
                                        headers={"Content-Type": "application/json"})
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {"hello": "Linus", "n": 42}
    status, _, body = app.request("GET", "/missing")
    assert status == 404 and b"/missing does not exist" in body
    assert app.request("POST", "/post", body="x", headers={"Content-Type": "text/plain"})[0] == 415


def test_package_json_lists_every_module():
    with open(os.path.join(ROOT, "package.json")) as f:
        listed = sorted(dst for dst, src in json.load(f)["urls"])
    modules = sorted("aiowebserver/" + n for n in os.listdir(os.path.join(ROOT, "aiowebserver"))
                     if n.endswith(".py"))
    assert listed == modules, "run `make package.json`"


@pytest.mark.parametrize("runtime", ["cpython"])
def test_mip_installs_the_package_from_a_loopback_url_and_it_serves(start_app, tmp_path):
    # the repository served by our own server; MicroPython's real mip installs from it
    repo = start_app("repo_server.py", env={"REPO_ROOT": ROOT})
    target = tmp_path / "lib"
    out = subprocess.run(
        [MICROPYTHON, "-c", "import mip; mip.install('%s/package.json', target='%s')" % (repo.url, target)],
        capture_output=True, text=True, timeout=60, cwd=str(tmp_path),
    )
    assert "Done" in out.stdout, out.stdout + out.stderr
    installed = sorted(os.listdir(target / "aiowebserver"))
    assert "server.py" in installed and "__init__.py" in installed
    # the installed copy (and only it) serves a request
    app_file = tmp_path / "hello.py"
    app_file.write_text(
        "import aiowebserver as web\n"
        "@web.route('GET', '/')\nasync def h(rq):\n    await rq.w(web.__file__)\n"
        "web.run_forever()\n")
    from helpers import free_port
    port = free_port()
    env = dict(os.environ, MICROPYPATH=str(target) + ":.frozen", AIOWEBSERVER_PORT=str(port),
               AIOWEBSERVER_HOST="127.0.0.1")
    proc = subprocess.Popen([MICROPYTHON, str(app_file)], env=env, cwd=str(tmp_path),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for_port(port, proc)
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/")
        assert conn.getresponse().read().decode().startswith(str(target))
    finally:
        proc.terminate()
        proc.wait(5)
