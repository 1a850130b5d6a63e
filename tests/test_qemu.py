"""The ESP32 side: the esp32 port's limits, and the emulated ESP32-C3.

(a) On the esp32 port (`sys.platform == "esp32"`) the default limits fit
    under its 10 lwIP sockets (docs/limits.md, Sockets). Checked on the unix
    MicroPython with `sys` replaced by one that says "esp32" (what the
    package's check reads), and without it (the unix defaults).
(b) `ci/qemu-test.sh IMAGE` boots a BOARD_VARIANT=QEMU image in Espressif's
    QEMU and checks it end to end. It needs QEMU_IMAGE (the image) and QEMU
    (a qemu-system-riscv32 with the esp32c3 machine); without them it is
    skipped (the GitHub workflow's qemu job runs it in Espressif's container).
    `ci/qemu-ota-test.sh IMAGE` updates a BOARD_VARIANT=QEMU_OTA image over
    HTTP with make ota and rolls back an app that never confirms; it needs
    QEMU_OTA_IMAGE (the merged image, its -app.bin beside it) and QEMU.
    The scripts' own checks of their arguments run everywhere.
"""
import os
import subprocess

import pytest

from helpers import MICROPYTHON, ROOT

SCRIPT = os.path.join(ROOT, "ci", "qemu-test.sh")
OTA_SCRIPT = os.path.join(ROOT, "ci", "qemu-ota-test.sh")
SKIPPED = 77  # qemu-test.sh: no QEMU or no image (automake's "skipped")

AS_ESP32 = """\
import sys
real = sys


class Esp32Sys:
    # the esp32 port's sys as far as the platform goes; the rest is the real one
    platform = "esp32"

    def __getattr__(self, name):
        return getattr(real, name)


if PRETEND:
    sys.modules["sys"] = Esp32Sys()
import aiowebserver as web
import aiowebserver.server as server

lim = web.limits
print(server.sys.platform, lim.max_connections, lim.max_waiting, lim.backlog)
"""

# lwIP sockets of MicroPython's esp32 port (ESP-IDF's CONFIG_LWIP_MAX_SOCKETS default)
ESP32_SOCKETS = 10


@pytest.mark.parametrize("pretend", [True, False])
def test_on_the_esp32_port_the_default_limits_fit_under_its_sockets(pretend, tmp_path):
    proc = subprocess.run(
        [MICROPYTHON, "-c", ("PRETEND = %r\n" % pretend) + AS_ESP32], cwd=str(tmp_path),
        env=dict(os.environ, MICROPYPATH=ROOT + ":.frozen"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30,
    )
    assert proc.returncode == 0, proc.stdout.decode()
    platform, served, waiting, backlog = proc.stdout.decode().split()
    served, waiting = int(served), int(waiting)
    if pretend:
        assert platform == "esp32"
        # the listener + served + waiting, with a socket to spare for the app
        assert 1 + served + waiting <= ESP32_SOCKETS - 1
        assert (served, waiting) == (6, 2)
        assert served >= 6, "a browser opens six connections at once"
    else:
        assert platform == "linux"
        assert (served, waiting) == (10, 16)


def run_script(*args, env=None, timeout=60, script=SCRIPT):
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run(["bash", script, *args], cwd=ROOT, env=full_env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


def test_the_qemu_script_skips_with_one_line_without_qemu_or_image(tmp_path):
    image = tmp_path / "image.bin"
    image.write_bytes(b"\xe9" + bytes(1023))
    status, out = run_script(str(image), env={"QEMU": str(tmp_path / "no-qemu")})
    assert status == SKIPPED, out
    assert out.strip().splitlines() == ["SKIP: QEMU %s not found (set QEMU to Espressif's "
                                        "qemu-system-riscv32)" % (tmp_path / "no-qemu")], out
    status, out = run_script(str(tmp_path / "none.bin"), env={"QEMU": "sh"})
    assert status == SKIPPED and out.strip().splitlines() == [
        "SKIP: no image %s (make firmware BOARD=ESP32_GENERIC_C3 BOARD_VARIANT=QEMU)" % (tmp_path / "none.bin")], out
    # a QEMU without the esp32c3 machine (upstream QEMU, or here: sh)
    fake = tmp_path / "qemu-system-riscv32"
    fake.write_text("#!/bin/sh\necho 'Supported machines are:'; echo 'virt  RISC-V VirtIO board'\n")
    fake.chmod(0o755)
    status, out = run_script(str(image), env={"QEMU": str(fake)})
    assert status == SKIPPED and "has no esp32c3 machine" in out and len(out.strip().splitlines()) == 1, out
    status, out = run_script()
    assert status == 2 and out.startswith("usage: ci/qemu-test.sh IMAGE"), out
    # the OTA check: the same, and it needs the app image beside the merged one
    status, out = run_script(str(image), env={"QEMU": str(fake)}, script=OTA_SCRIPT)
    assert status == SKIPPED and out.strip().splitlines() == [
        "SKIP: no image %s (make firmware BOARD=ESP32_GENERIC_C3 BOARD_VARIANT=QEMU_OTA)" % (tmp_path / "image-app.bin")], out
    (tmp_path / "image-app.bin").write_bytes(b"\xe9" + bytes(1023))
    status, out = run_script(str(image), env={"QEMU": str(fake)}, script=OTA_SCRIPT)
    assert status == SKIPPED and "has no esp32c3 machine" in out and len(out.strip().splitlines()) == 1, out
    status, out = run_script(script=OTA_SCRIPT)
    assert status == 2 and out.startswith("usage: ci/qemu-ota-test.sh IMAGE [APP]"), out
    status, out = run_script(str(tmp_path / "image-app.bin"), script=OTA_SCRIPT)
    assert status == 2 and "is the app image: give the merged image" in out, out
    # an image without OTA slots (the QEMU variant's): one line, before QEMU starts
    esp32c3 = tmp_path / "qemu-esp32c3"
    esp32c3.write_text("#!/bin/sh\necho 'esp32c3              Espressif ESP32-C3 machine'\n")
    esp32c3.chmod(0o755)
    status, out = run_script(str(image), env={"QEMU": str(esp32c3), "ESPTOOL": "true", "MPREMOTE": "true"},
                             script=OTA_SCRIPT)
    assert status == 1 and out.strip().splitlines()[-1] == (
        "qemu-ota-test: FAIL (%s has no ota_0, ota_1 and otadata partitions at 0x8000: "
        "not a merged QEMU_OTA image)" % image), out


def test_the_qemu_image_boots_serves_and_passes_every_check():
    image, qemu = os.environ.get("QEMU_IMAGE"), os.environ.get("QEMU")
    if not image or not qemu:
        pytest.skip("no emulator here: set QEMU (Espressif's qemu-system-riscv32) and QEMU_IMAGE "
                    "(make firmware BOARD_VARIANT=QEMU) to boot the image; the workflow's qemu job does")
    status, out = run_script(image, timeout=900)
    if status == SKIPPED:
        pytest.skip(out.strip())
    print(out)
    assert status == 0, out
    last = out.strip().splitlines()[-1]
    assert last.startswith("qemu-test: pass"), out


def test_the_qemu_ota_image_is_updated_over_http_and_an_unconfirmed_app_rolled_back():
    image, qemu = os.environ.get("QEMU_OTA_IMAGE"), os.environ.get("QEMU")
    if not image or not qemu:
        pytest.skip("no emulator here: set QEMU (Espressif's qemu-system-riscv32) and QEMU_OTA_IMAGE "
                    "(make firmware BOARD_VARIANT=QEMU_OTA: the merged image, its -app.bin beside it) "
                    "to update it over HTTP and roll it back; the workflow's qemu job does")
    status, out = run_script(image, timeout=900, script=OTA_SCRIPT)
    if status == SKIPPED:
        pytest.skip(out.strip())
    print(out)
    assert status == 0, out
    lines = out.splitlines()
    for step in ("ok   1 fresh flash", "ok   2 make ota", "ok   2b refused uploads", "ok   3b make ota again",
                 "ok   3c the bootloader rolled back"):
        assert any(line.startswith(step + ":") or line.startswith(step + " ") for line in lines), (step, out)
    assert out.strip().splitlines()[-1].startswith("qemu-ota-test: pass"), out


def test_the_c3_table_is_rewritten_between_its_markers_only(tmp_path):
    # what QEMU_TEST_README=README.md does with the figures of a passing run
    import importlib.util
    spec = importlib.util.spec_from_file_location("qemu_check", os.path.join(ROOT, "ci", "qemu_check.py"))
    qemu_check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(qemu_check)
    readme = tmp_path / "README.md"
    readme.write_text("before\n<!-- c3:start -->\nold\n<!-- c3:end -->\nafter\n", encoding="utf-8")
    figures = {"aiowebserver_close": 104, "aiowebserver_keepalive": 221, "raw_close": 124, "raw_keepalive": 273,
               "microdot_close": 46, "microdot_heap_import": 5024, "heap_serving": 8416, "n": 200}
    qemu_check.readme_table(str(readme), {"heap_import": 1568, "heap_hello": 5968}, figures, "")
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("before\n<!-- c3:start -->\n| ESP32-C3") and text.endswith("<!-- c3:end -->\nafter\n")
    assert "old" not in text
    assert "| one connection per request, req/s | 104 | raw asyncio 124 · microdot 46 | 0.84× vs raw, 2.26× vs microdot |" in text
    assert "| keep-alive, req/s | 221 | raw asyncio 273 | 0.81× vs raw |" in text
    assert "1,568 B" in text and "microdot (.mpy) 5,024 B" in text
    assert "| heap in use after the first request: a hello app | 5,968 B |" in text
    assert "| heap in use after the first request: the device template (main.py's own objects too) | 8,416 B |" in text
    assert "QEMU_TEST_README=README.md ci/qemu-test.sh" in text
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        ours = f.read()
    assert ours.count("<!-- c3:start -->") == ours.count("<!-- c3:end -->") <= 1
