# Benchmarks (bench/run.py): aiowebserver against microdot and raw asyncio
# servers on the same MicroPython binary. QUICK=1 is the < 60 s smoke run;
# BENCH_ARGS passes options to bench/run.py (see `python bench/run.py -h`).
.PHONY: bench
BENCH_ARGS ?=

bench: venv ## benchmark against microdot and raw asyncio (bench/results.json, README table; QUICK=1: smoke run)
	@bash bench/install-tools.sh || echo "bench: continuing without the missing load tools"
	@$(BIN)/python bench/run.py $(if $(QUICK),--quick) $(BENCH_ARGS)
