"""Templates compiled ahead of time: the compiler on CPython and MicroPython,
the compiled modules (.py and .mpy) rendering on every runtime, streamed."""
import os
import shutil
import subprocess
import sys

import pytest

from helpers import MICROPYTHON, MPY_CROSS, ROOT, start_compiled

sys.path.insert(0, ROOT)
from aiowebserver.template_compile import TemplateError, compile_dir, compile_template  # noqa: E402

SOURCES = os.path.join(ROOT, "tests", "apps", "templates")

PAGE = (
    "<!doctype html>\n"
    "<title>TOM &amp; &quot;JERRY&quot;</title>\n"
    "<h1>Tom &amp; &quot;Jerry&quot;</h1>\n"
    "<ul>\n<li>a&lt;b: 1.23</li>\n<li>Tom &amp; &#39;Jerry&#39;: 2</li>\n</ul>\n"
    "two\n"
    "<b>bold</b> &lt;i&gt; <i> [] 2 2 True\n"
    "4 x, y \u00e9\n"
    "<footer>no footer</footer>"
)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """{'py': dir, 'mpy': dir}: each holds the package `templates`, compiled from
    tests/apps/templates by the compiler on CPython; the .mpy by mpy-cross."""
    base = tmp_path_factory.mktemp("tpl")
    py = base / "py" / "templates"
    written = compile_dir(SOURCES, str(py))
    assert sorted(os.path.basename(p) for p in written) == [
        "base_html.py", "big_html.py", "page_html.py", "parts_row_html.py"]
    mpy = base / "mpy" / "templates"
    mpy.mkdir(parents=True)
    for name in os.listdir(py):
        subprocess.run([MPY_CROSS, "-o", str(mpy / (name[:-3] + ".mpy")), str(py / name)], check=True)
    return {"py": str(base / "py"), "mpy": str(base / "mpy")}


def test_the_compiler_gives_the_same_modules_on_micropython_and_says_where_a_template_is_wrong(tmp_path, compiled):
    src = tmp_path / "src"
    shutil.copytree(SOURCES, src)
    env = dict(os.environ, MICROPYPATH=ROOT + ":.frozen")
    out = subprocess.run([MICROPYTHON, "-m", "aiowebserver.template_compile", str(src)],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("compiled ") == 4
    for name in ("base_html.py", "big_html.py", "page_html.py", "parts_row_html.py"):
        with open(os.path.join(compiled["py"], "templates", name)) as a, open(src / name) as b:
            assert a.read() == b.read(), name
    # a second run compiles nothing: every module is newer than its template
    out = subprocess.run([MICROPYTHON, "-m", "aiowebserver.template_compile", str(src)],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout == ""
    for text, message in [
        ("<p>{{ x|nosuch }}</p>", "t.html:1: unknown filter 'nosuch'"),
        ("\n\n{{ x ", "t.html:3: {{ not closed"),
        ("\n{% for x in xs %}\n{{ x }}", "t.html:2: missing {% endfor %}"),
        ("{% if x %}a{% endfor %}", "t.html:1: {% endfor %} where {% endif %} was expected"),
        ("{% frobnicate %}", "t.html:1: unknown tag {% frobnicate %}"),
        ("{% for x in xs %}{% else %}{% endfor %}", "not supported"),
        ('{% extends "b.html" %}<p>{{ x }}</p>{% if y %}{% endif %}', "only blocks count"),
    ]:
        with pytest.raises(TemplateError) as info:
            compile_template(text, "t.html")
        assert message in str(info.value), (text, str(info.value))


def test_templates_render_escaped_with_includes_blocks_and_loops_and_stream_big_pages(start_app, compiled, tmp_path):
    runtime = start_app.runtime
    # mpy: the default 64 KB heap, the app and the templates as .mpy (6.4 KB of it)
    app = start_compiled(start_app, tmp_path, "template_app.py",
                         env={"TEMPLATES_PATH": compiled["mpy" if runtime == "mpy" else "py"]})
    status, headers, body = app.request("GET", "/page")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert body.decode() == PAGE
    # 3000 rows, 133 KB: more than the whole 64 KB heap of the mpy runtime, so
    # it cannot have been built in memory; sent in chunks of at most 1000 bytes
    rows = 3000
    status, headers, body = app.request("GET", "/big?%d" % rows, timeout=30)
    assert status == 200 and headers["transfer-encoding"] == "chunked"
    assert len(body) > 120000
    assert [line for line in body.decode().split("\n") if line] == [
        "<tr><td>%d</td><td>row&lt; #%d</td></tr>" % (i, 2 * i) for i in range(rows)]
    samples = [int(s) for s in app.request("GET", "/samples")[2].split()]
    if runtime == "cpython":
        assert samples == []
    else:  # the heap in use after a collection, every 500 rows: flat
        assert len(samples) == 6
        assert max(samples) - min(samples) < 1024, samples


def test_the_example_page_escapes_a_hostile_sensor_name(start_app, tmp_path):
    example = os.path.join(ROOT, "examples", "template_page.py")
    if start_app.runtime == "mpy":  # as on a board: the program and its compiled templates as .mpy, no .html
        # compiled here (a fresh checkout has no examples/templates/*.py before
        # `make templates` or another runtime's run of the example)
        source = str(tmp_path / "source" / "templates")
        compile_dir(os.path.join(ROOT, "examples", "templates"), source)
        (tmp_path / "templates").mkdir()
        for name in os.listdir(source):
            subprocess.run([MPY_CROSS, "-o", str(tmp_path / "templates" / (name[:-3] + ".mpy")),
                            os.path.join(source, name)], check=True)
        subprocess.run([MPY_CROSS, "-o", str(tmp_path / "template_page.mpy"), example], check=True)
        (tmp_path / "launch.py").write_text("import template_page\n")
        example = str(tmp_path / "launch.py")
    # mpy: 64k, where the first render leaves 7.2 KB free in pieces of at most
    # 352 B: a 512-byte piece goes out without its chunk frame joined to it
    app = start_app(example)
    status, _, body = app.request("GET", "/")
    body = body.decode()
    assert status == 200 and "<title>Sensors of esp32-c3</title>" in body
    assert "<tr><td>temperature</td><td>21.5 \u00b0C</td></tr>" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>" not in body
    assert "<p>Values are <em>simulated</em>.</p>" in body
