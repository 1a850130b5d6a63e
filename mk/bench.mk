# Benchmarks (bench/run.py): aiowebserver against microdot and raw asyncio
# servers on the same MicroPython binary. QUICK=1 is the < 60 s smoke run.
.PHONY: bench

bench: venv ## benchmark against microdot and raw asyncio (bench/results.json, README table; QUICK=1: smoke run)
	@bash bench/install-tools.sh || echo "bench: continuing without the missing load tools"
	@$(BIN)/python bench/run.py $(if $(QUICK),--quick)
