"""`make ota`, `make deploy HOST=...` and the OTA board variants.

The board is the template (examples/device_main.py) on the unix port beside
the stand-in `esp32` (tests/ota_fakes.py), run by a loop that starts it again
when it exits: a board that resets. Make runs for real against it; the
firmware targets are checked with dry runs (`make -n`), as in test_firmware.
"""
import hashlib
import json
import os
import shutil
import subprocess

import pytest

from helpers import BIN, MICROPYTHON, ROOT, free_port, wait_for_port
from ota_fakes import SLOT_SIZE, app_image, write_standins

VENV = os.path.dirname(BIN)
PASSWORD = "s3cret pass"
TEMPLATE = os.path.join(ROOT, "examples", "device_main.py")


def make(*args, env=None, timeout=120):
    full = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MICROPY_DIR")}
    full.update(env or {})
    proc = subprocess.run(["make", "--no-print-directory", "VENV=" + VENV] + list(args), cwd=ROOT, env=full,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    out = proc.stdout.decode("utf-8", "replace")
    return proc.returncode, [line for line in out.splitlines() if line.strip() and not line.startswith("make: ***")]


@pytest.fixture
def board(tmp_path):
    """The template in a loop (at most 4 boots) on a fixed port; yields (host, directory)."""
    write_standins(str(tmp_path))
    shutil.copy(TEMPLATE, str(tmp_path / "main.py"))
    (tmp_path / "wifi.json").write_text(json.dumps({"admin_sha256": hashlib.sha256(PASSWORD.encode()).hexdigest()}))
    port = free_port()
    env = dict(os.environ, MICROPYPATH=ROOT + ":.frozen", AIOWEBSERVER_HOST="127.0.0.1", AIOWEBSERVER_PORT=str(port))
    log = open(str(tmp_path / "board.log"), "wb")
    loop = "for boot in 1 2 3 4; do %s -X heapsize=256k main.py; done" % MICROPYTHON
    proc = subprocess.Popen(["sh", "-c", loop], cwd=str(tmp_path), env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    log.close()
    assert wait_for_port(port, proc), (tmp_path / "board.log").read_text()
    yield "127.0.0.1:%d" % port, tmp_path
    os.killpg(proc.pid, 15)
    proc.wait(10)


def test_make_ota_uploads_waits_for_the_reset_and_prints_the_new_version(board):
    host, disk = board
    image = disk / "micropython.bin"
    image.write_bytes(app_image(700_000, seed=11))
    status, out = make("ota", "HOST=" + host, "FIRMWARE=" + str(image), env={"ADMIN_PASSWORD": PASSWORD,
                                                                             "OTA_PROGRESS": "1"})
    assert status == 0, out
    assert out[0].startswith("%s runs aiowebserver 0.1.0, MicroPython 1." % host), out
    assert out[0].endswith("slot ota_0; sending micropython.bin (683 KB)"), out
    assert out[-2].startswith("written and verified in") and out[-1].startswith(host + " is back: aiowebserver 0.1.0")
    assert out[-1].endswith("slot ota_1")
    assert any("[##############################] 100% 683/683 KB" in line for line in out), out
    assert (disk / "otadata.txt").read_text() == "ota_1 valid"  # booted and confirmed

    # one line for each way it goes wrong
    status, out = make("ota", "HOST=" + host, "FIRMWARE=" + str(image), env={"ADMIN_PASSWORD": "wrong"})
    assert status != 0 and out[-1] == "error: 401: wrong or missing admin password: pass ADMIN_PASSWORD=... (docs/ota.md)"
    big = disk / "big.bin"
    big.write_bytes(app_image(SLOT_SIZE + 10_000))
    status, out = make("ota", "HOST=" + host, "FIRMWARE=" + str(big), env={"ADMIN_PASSWORD": PASSWORD})
    assert status != 0 and out[-1].startswith("error: 413 Content Too Large: image of "), out
    bad = bytearray(image.read_bytes())
    bad[400_000] ^= 0xFF
    image.write_bytes(bytes(bad))
    status, out = make("ota", "HOST=" + host, "FIRMWARE=" + str(image), env={"ADMIN_PASSWORD": PASSWORD})
    assert status != 0 and out[-1].startswith("error: image refused: 400 Bad Request: ESP-IDF refused the image"), out
    merged = disk / "merged.bin"
    merged.write_bytes(app_image(20_000, first_load=0x3FCD5820)[:32] + b"\x50\x10\x00\x00" + bytes(60_000))
    status, out = make("ota", "HOST=" + host, "FIRMWARE=" + str(merged))
    assert status != 0 and "is a merged image (bootloader at 0x0): OTA takes the app image" in out[-1], out
    status, out = make("ota", "HOST=127.0.0.1:%d" % free_port(), "FIRMWARE=" + str(image))
    assert status != 0 and out[-1].startswith("error: cannot reach 127.0.0.1:") and "on this network" in out[-1], out
    assert (disk / "otadata.txt").read_text() == "ota_1 valid"  # nothing of that switched anything


def test_make_deploy_over_wifi_writes_main_py_and_assets_then_restarts(board):
    host, disk = board
    asset = disk / "src" / "index.html"
    asset.parent.mkdir()
    asset.write_text("<h1>hello</h1>\n")
    status, out = make("deploy", "HOST=" + host, "DEPLOY_ASSETS=" + str(asset), "WIFI_SSID=Home", "WIFI_PASSWORD=secret123",
                       env={"ADMIN_PASSWORD": PASSWORD})
    assert status == 0, out
    assert out[0] == "examples/device_main.py -> %s:main.py (%d bytes)" % (host, os.path.getsize(TEMPLATE))
    assert out[1] == "%s -> %s:index.html (15 bytes)" % (asset, host)
    assert out[2] == "Wi-Fi settings saved for 'Home'" and out[-1].startswith(host + " restarted: aiowebserver 0.1.0")
    assert (disk / "index.html").read_text() == "<h1>hello</h1>\n"
    assert not [p for p in os.listdir(str(disk)) if p.endswith(".tmp")]
    cfg = json.loads((disk / "wifi.json").read_text())
    assert cfg["ssid"] == "Home" and cfg["admin_sha256"] == hashlib.sha256(PASSWORD.encode()).hexdigest()
    assert (disk / "board.log").read_text().count("aiowebserver: serving on") == 2  # it restarted once
    status, out = make("deploy", "HOST=" + host)
    assert status != 0 and out[-1] == "error: main.py: 401: wrong or missing admin password: pass ADMIN_PASSWORD=... (docs/ota.md)"


def dry(*args):
    status, out = make("-n", *args)
    assert status == 0, out
    return "\n".join(out)


def test_the_ota_variants_build_two_slots_and_write_the_app_image_too():
    out = dry("firmware", "BOARD_VARIANT=OTA")
    assert '"v1.28.0"' in out and "BOARD_VARIANT=OTA" in out  # ours: no newer MicroPython needed
    assert "mpconfigvariant_OTA.cmake\" ||" not in out.split("idf.py")[-1]  # no upstream OTA variant to look for
    assert '/micropython.bin" $app' in out and "-app.bin" in out and "1835008-byte app slot" in out
    out = dry("firmware", "BOARD_VARIANT=QEMU_OTA")
    assert "f71a2316eebaeaf95724672f3f56540ecf73c014" in out and "BOARD_VARIANT=QEMU_OTA" in out
    assert "mpconfigvariant_QEMU.cmake" in out  # it builds on MicroPython's QEMU variant
    assert "-app.bin" not in dry("firmware")  # a plain build: the merged image only
    ota = open(os.path.join(ROOT, "boards", "ESP32_GENERIC_C3", "sdkconfig.ota")).read()
    for line in ("CONFIG_PARTITION_TABLE_CUSTOM=y", "CONFIG_COMPILER_OPTIMIZATION_SIZE=y"):
        assert line in ota
    for variant in ("OTA", "QEMU_OTA"):
        text = open(os.path.join(ROOT, "boards", "ESP32_GENERIC_C3", "mpconfigvariant_%s.cmake" % variant)).read()
        assert "include(${CMAKE_CURRENT_LIST_DIR}/ota_variant.cmake)" in text


def test_the_ota_partition_table_has_two_slots_that_fit_4_mib_with_a_filesystem_after_them():
    rows = {}
    for line in open(os.path.join(ROOT, "boards", "ESP32_GENERIC_C3", "partitions-ota.csv")):
        if line.strip() and not line.startswith("#"):
            name, kind, sub, offset, size = [f.strip() for f in line.split(",")[:5]]
            rows[name] = (kind, sub, int(offset, 16), int(size, 16))
    assert rows["ota_0"] == ("app", "ota_0", 0x10000, SLOT_SIZE) and rows["ota_1"] == ("app", "ota_1", 0x10000 + SLOT_SIZE, SLOT_SIZE)
    assert rows["otadata"][:2] == ("data", "ota") and rows["nvs"][2] == 0x9000
    end = max(offset + size for _, _, offset, size in rows.values())
    assert 4 * 1024 * 1024 - end >= 384 * 1024  # the filesystem MicroPython makes of the rest: 448 KB
    assert all(offset % 0x10000 == 0 for kind, _, offset, _ in rows.values() if kind == "app")  # app alignment
    assert make("-n", "firmware", "BOARD_VARIANT=OTA")[1] and "OTA_SLOT := %d" % SLOT_SIZE in open(
        os.path.join(ROOT, "mk", "firmware.mk")).read()


def test_make_flash_never_takes_an_app_image_and_ota_needs_a_host(tmp_path):
    status, out = make("ota", "FIRMWARE=x.bin")
    assert status != 0 and out == ["error: HOST is not set: make ota HOST=aiowebserver-XXXX.local "
                                   "FIRMWARE=firmware/<image>-app.bin (an address works too)"]
    status, out = make("ota", "HOST=board", "FIRMWARE=" + str(tmp_path / "none.bin"))
    assert status != 0 and out[0].startswith("error: no app image %s: run make firmware" % (tmp_path / "none.bin"))
    out = dry("deploy", "PORT=COM4", "ADMIN_PASSWORD=x")
    assert "device.set_admin_hash('$h')" in out and "password_hash(" in out and "'x'" not in out
    out = dry("deploy", "HOST=board.local")
    assert "tools/ota_client.py deploy board.local examples/device_main.py=main.py" in out and "mpremote" not in out


def test_the_ota_variants_configure_on_micropythons_board_with_our_partition_table(tmp_path):
    # As test_firmware's board check: the variant files included from the
    # port directory, without ESP-IDF (needs MICROPY_DIR and cmake).
    tree = os.environ.get("MICROPY_DIR")
    if not tree or not shutil.which("cmake"):
        pytest.skip("MICROPY_DIR (a MicroPython tree) and cmake are needed")
    from test_firmware import BOARD_PROBE

    probe = tmp_path / "probe.cmake"
    probe.write_text(BOARD_PROBE)
    port = os.path.join(tree, "ports", "esp32")
    for variant in ("OTA", "QEMU_OTA"):
        if variant == "QEMU_OTA" and not os.path.exists(os.path.join(port, "boards", "ESP32_GENERIC_C3", "sdkconfig.qemu")):
            continue  # v1.28.0: no QEMU variant to build on
        proc = subprocess.run(["cmake", "-DBD=" + os.path.join(ROOT, "boards", "ESP32_GENERIC_C3"), "-DVARIANT=" + variant,
                               "-DAIOWEBSERVER_OTA_TABLE_DIR=" + str(tmp_path), "-P", str(probe)], cwd=port,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        assert proc.returncode == 0, proc.stdout.decode()
        defaults = [line for line in proc.stdout.decode().splitlines() if line.startswith("SDKCONFIG_DEFAULTS=")][0]
        assert defaults.endswith("boards/ESP32_GENERIC_C3/sdkconfig.ota;%s/sdkconfig.ota_table" % tmp_path), defaults
        assert "sdkconfig.c3" in defaults
        table = (tmp_path / "sdkconfig.ota_table").read_text()  # the table by its absolute path (ESP-IDF takes it)
        assert table == 'CONFIG_PARTITION_TABLE_CUSTOM_FILENAME="%s"\n' % os.path.join(
            ROOT, "boards", "ESP32_GENERIC_C3", "partitions-ota.csv")
