"""`make bench QUICK=1`: the benchmark harness still measures every server.

CI runs this so the harness cannot rot; the real figures come from the full
`make bench`, which CI does not run (ratios on a loaded CI machine mean little).
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from helpers import ROOT  # noqa: E402

README_BEFORE = "# demo\n\n<!-- bench:start -->\nold table\n<!-- bench:end -->\n\nafter\n"
TARGETS_BEFORE = "# bench\n\n<!-- targets:start -->\nold targets\n<!-- targets:end -->\n"


def load_tools_present():
    """wrk and ab are on PATH, installed from Debian if needed (best effort)."""
    if not (shutil.which("wrk") and shutil.which("ab")):
        subprocess.run(["bash", os.path.join(ROOT, "bench", "install-tools.sh")], timeout=600)
    return shutil.which("wrk") and shutil.which("ab")


def bench_module():
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    try:
        import run
    finally:
        sys.path.pop(0)
    return run


@pytest.mark.timeout(300)
def test_quick_bench_measures_aiowebserver_beside_microdot_and_raw_asyncio(tmp_path):
    if not load_tools_present():
        pytest.skip("wrk and ab (Debian: apt-get install wrk apache2-utils) are missing "
                    "and could not be installed: the benchmark smoke run needs them")
    out = tmp_path / "results.json"
    readme = tmp_path / "README.md"
    readme.write_text(README_BEFORE)
    bench_readme = tmp_path / "bench-README.md"
    bench_readme.write_text(TARGETS_BEFORE)
    proc = subprocess.run(
        ["make", "--no-print-directory", "bench", "QUICK=1",
         "BENCH_ARGS=--out %s --readme %s --bench-readme %s" % (out, readme, bench_readme)],
        cwd=ROOT, capture_output=True, text=True, timeout=280)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "wrote" in proc.stdout

    figures = json.loads(out.read_text())["figures"]
    for name in ("aiowebserver", "microdot", "raw_chunked", "raw_readline"):
        assert figures["keepalive_rps"][name]["median"] > 0, figures["keepalive_rps"][name]
        assert figures["oneconn_rps"][name]["median"] > 0, figures["oneconn_rps"][name]
        assert figures["keepalive_p99_ms"][name] > 0
    heap = figures["heap_import_bytes"]
    assert 0 < heap["aiowebserver_mpy"] < 256 * 1024
    assert 0 < heap["microdot_mpy"] < 256 * 1024
    flash = figures["flash_mpy_bytes"]
    assert 0 < flash["aiowebserver_hello_path"] <= flash["aiowebserver_total"]
    assert "aiowebserver" in flash["aiowebserver_hello_modules"]
    assert figures["static_mbps"]["plain_loop"]["median"] > 0
    assert figures["sse_events_per_s"]["microdot"]["median"] > 0
    assert figures["ws_round_trips_per_s"]["microdot"]["median"] > 0

    table = readme.read_text()
    assert "old table" not in table
    assert "| keep-alive req/s" in table and "| target |" not in table
    assert table.startswith("# demo\n\n<!-- bench:start -->\n")
    assert table.endswith("<!-- bench:end -->\n\nafter\n")
    targets = bench_readme.read_text()
    assert "old targets" not in targets and "| target | measured | met |" in targets


def test_a_readme_without_the_bench_markers_is_left_as_it_was(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# demo\n\nno markers here\n")
    assert bench_module().update_readme("| a | table |", str(readme)) is False
    assert readme.read_text() == "# demo\n\nno markers here\n"


def test_markers_quoted_in_the_prose_are_not_taken_for_the_tables_place(tmp_path):
    readme = tmp_path / "README.md"
    prose = "Written between `<!-- targets:start -->` and `<!-- targets:end -->`: see below.\n"
    readme.write_text(prose + TARGETS_BEFORE)
    run = bench_module()
    assert run.update_readme("| new |", str(readme), run.TARGET_MARKS)
    assert readme.read_text() == prose + TARGETS_BEFORE.replace("old targets", "| new |")


def test_the_readme_gets_the_figures_and_bench_readme_the_targets_of_the_same_run(tmp_path):
    # from the stored results of the last full run: the split, without running a benchmark
    run = bench_module()
    with open(os.path.join(ROOT, "bench", "results.json")) as f:
        stored = json.load(f)
    figures = run.markdown_table(stored["figures"], stored["targets"], stored["meta"])
    targets = run.targets_table(stored["targets"], stored["meta"])
    assert "| keep-alive req/s" in figures and "| target |" not in figures
    assert targets.startswith("| target | measured | met |") and stored["meta"]["date"] in targets
    assert stored["meta"]["date"] in figures
    bench_readme = tmp_path / "bench-README.md"
    bench_readme.write_text(TARGETS_BEFORE)
    assert run.update_readme(targets, str(bench_readme), run.TARGET_MARKS)
    assert bench_readme.read_text() == TARGETS_BEFORE.replace("old targets", targets)
    # the committed READMEs hold exactly these tables (regenerated together by make bench)
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        assert figures in f.read()
    with open(os.path.join(ROOT, "bench", "README.md"), encoding="utf-8") as f:
        assert targets in f.read()
