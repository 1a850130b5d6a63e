"""aiowebserver.testing.TestClient: an app's own tests, without sockets, on
each runtime. A driver script imports tests/apps/features_app.py (which then
does not start a server) and sends requests through the TestClient."""
import json
import os
import subprocess

import pytest

import conftest
from helpers import APPS, PYTHON, ROOT

DRIVER = r'''
import asyncio
import json
import features_app
from aiowebserver.testing import TestClient


def basic(user, password):
    import binascii
    return {"Authorization": "Basic " + binascii.b2a_base64((user + ":" + password).encode()).decode().strip()}


def summary(res):
    return {"status": res.status, "headers": res.headers, "body": res.body.decode("utf-8")}


async def main():
    c = TestClient()
    out = {}
    out["param"] = summary(await c.get("/led/5"))
    out["json_put"] = (await c.put("/led/3", body={"value": 1})).json
    out["not_allowed"] = summary(await c.post("/led/3"))
    out["not_found"] = (await c.get("/nowhere")).json
    out["head"] = summary(await c.head("/led/5"))
    out["stream"] = summary(await c.get("/stream"))
    out["form"] = (await c.post("/form", form={"name": "J\u00fcrgen M", "x": "a&b=c"})).json
    out["exception_handler"] = summary(await c.get("/divide/0"))
    out["crash"] = summary(await c.get("/crash"))
    out["raw_http10"] = summary(await c.request("GET", "/led/7", raw=b"GET /led/7 HTTP/1.0\r\n\r\n"))
    out["raw_garbage"] = summary(await c.request("GET", "/", raw=b"GARBAGE\r\n\r\n"))
    # cookies: the client keeps what the app sets, and forgets deleted ones
    set_res = await c.get("/cookies/set?name=session&value=s%20p")
    out["set_cookie_list"] = [v for k, v in set_res.header_list if k == "Set-Cookie"]
    out["jar_after_set"] = dict(c.cookies)
    out["cookies_sent_back"] = (await c.get("/cookies")).json
    await c.get("/cookies/delete")
    out["jar_after_delete"] = dict(c.cookies)
    out["cookies_explicit"] = (await TestClient(cookies=False).get("/cookies", headers={"Cookie": "a=1; =; b"})).json
    # CORS and auth
    out["preflight"] = summary(await c.options("/api/data", headers={
        "Origin": "http://allowed.example", "Access-Control-Request-Method": "DELETE"}))
    out["auth_none"] = summary(await c.get("/admin"))
    out["auth_ok"] = summary(await c.get("/admin", headers=basic("admin", "s3cret:with colon")))
    out["auth_wrong"] = summary(await c.get("/admin", headers=basic("admin", "nope")))
    # an upload through the test client
    body = (b"--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"t.txt\"\r\n\r\n" + b"x" * 5000 +
            b"\r\n--B\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--B--\r\n")
    out["upload"] = (await c.post("/upload", body=body, headers={"Content-Type": "multipart/form-data; boundary=B"})).json
    with open("t.txt", "rb") as f:
        out["uploaded_size"] = len(f.read())
    out["bad_multipart"] = (await c.post("/upload", body=b"x", headers={"Content-Type": "multipart/form-data"})).status
    print("RESULT " + json.dumps(out))


asyncio.run(main())
'''


def run_script(runtime, request, script, cwd, extra_path, args=()):
    """Run a script on the runtime under test; returns (returncode, output)."""
    mpy_dir = request.getfixturevalue("mpy_package") if runtime == "mpy" else None
    heap = "256k"  # the test script and the app are compiled on the spot
    argv, env_add = conftest._command(runtime, script, heap, mpy_dir)
    env = dict(os.environ)
    for name, value in env_add.items():
        sep = ":" if name == "MICROPYPATH" else os.pathsep
        env[name] = value + sep + extra_path
    env.pop("AIOWEBSERVER_PORT", None)
    proc = subprocess.run(argv + list(args), cwd=str(cwd), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=120)
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


@pytest.fixture
def results(runtime, request, tmp_path):
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    code, out = run_script(runtime, request, str(script), tmp_path, APPS)
    line = [x for x in out.splitlines() if x.startswith("RESULT ")]
    assert code == 0 and line, out
    return json.loads(line[0][len("RESULT "):]), out


def test_the_test_client_reaches_routes_with_parameters(results):
    r, _ = results
    assert r["param"]["status"] == 200
    assert json.loads(r["param"]["body"]) == {"params": {"pin": 5}, "int": True}
    assert r["json_put"] == {"pin": 3, "value": 1}


def test_the_test_client_sees_errors_as_a_browser_would(results):
    r, log = results
    assert r["not_allowed"]["status"] == 405 and "PUT" in r["not_allowed"]["headers"]["allow"]
    assert r["not_found"] == {"error": "not found", "path": "/nowhere", "status": 404}
    assert r["exception_handler"]["status"] == 400
    assert (r["crash"]["status"], r["crash"]["body"]) == (500, "500 Internal Server Error\n")
    assert "not handled by an errorhandler" in log  # logged like on a real server
    assert r["raw_garbage"]["status"] == 400


def test_the_test_client_decodes_framing(results):
    r, _ = results
    assert r["head"]["status"] == 200 and r["head"]["body"] == ""
    assert int(r["head"]["headers"]["content-length"]) > 0
    assert r["stream"]["headers"]["transfer-encoding"] == "chunked"
    assert r["stream"]["body"] == "part0;part1;part2;"
    assert r["raw_http10"]["headers"]["connection"] == "close"
    assert json.loads(r["raw_http10"]["body"])["params"] == {"pin": 7}


def test_the_test_client_sends_forms(results):
    assert results[0]["form"] == {"name": "Jürgen M", "x": "a&b=c"}


def test_the_test_client_keeps_cookies_like_a_browser(results):
    r, _ = results
    assert r["set_cookie_list"][0] == "session=s%20p; Path=/; HttpOnly; SameSite=Lax"
    assert r["jar_after_set"] == {"session": "s%20p", "prefs": "dark"}
    assert r["cookies_sent_back"] == {"session": "s p", "prefs": "dark"}
    assert r["jar_after_delete"] == {"prefs": "dark"}
    assert r["cookies_explicit"] == {"a": "1"}


def test_the_test_client_covers_cors_and_auth(results):
    r, _ = results
    assert r["preflight"]["status"] == 204
    assert r["preflight"]["headers"]["access-control-allow-origin"] == "http://allowed.example"
    assert r["auth_none"]["status"] == 401 and "www-authenticate" in r["auth_none"]["headers"]
    assert (r["auth_ok"]["status"], r["auth_ok"]["body"]) == (200, "welcome admin")
    assert r["auth_wrong"]["status"] == 401


def test_the_test_client_uploads_files(results):
    r, _ = results
    names = [(p["name"], p.get("size"), p.get("value")) for p in r["upload"]]
    assert names == [("f", 5000, None), ("note", None, "hello")]
    assert r["uploaded_size"] == 5000
    assert r["bad_multipart"] == 400


def test_the_documented_example_test_passes(runtime, request, tmp_path):
    """examples/test_my_app.py, run the way its comment tells users to."""
    example = os.path.join(ROOT, "examples", "test_my_app.py")
    code, out = run_script(runtime, request, example, tmp_path, os.path.join(ROOT, "examples"))
    assert code == 0 and "9 passed, 0 failed" in out, out


def test_the_documented_example_test_passes_under_pytest(tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run([PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           os.path.join(ROOT, "examples", "test_my_app.py")],
                          cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    out = proc.stdout.decode()
    assert proc.returncode == 0 and "9 passed" in out, out


def test_an_example_test_that_should_fail_does_fail(runtime, request, tmp_path):
    """The MicroPython runner of the example reports failures (exit status 1)."""
    broken = tmp_path / "test_broken.py"
    with open(os.path.join(ROOT, "examples", "test_my_app.py")) as f:
        broken.write_text(f.read().replace('"value": 0}', '"value": 99}'))
    code, out = run_script(runtime, request, str(broken), tmp_path, os.path.join(ROOT, "examples"))
    assert code == 1 and "FAIL test_reading_a_pin" in out and "8 passed, 1 failed" in out, out
