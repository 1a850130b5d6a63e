# aiowebserver: every user action is a target here. `make help` lists them.
# Firmware targets live in mk/firmware.mk, benchmarks in mk/bench.mk.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
MPY    := $(BIN)/micropython
PYTEST_ARGS ?=
# test processes (pytest-xdist, one test file per process at a time): CI has 2 cores
TEST_JOBS ?= auto

.DEFAULT_GOAL := help
.PHONY: help venv run test browser package.json

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/.installed: requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (install Python 3.9+)"; exit 1; }
	@$(PYTHON) -m venv $(VENV) || { echo "error: could not create $(VENV) (on Debian: apt-get install python3-venv)"; exit 1; }
	@$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt || { echo "error: pip could not install requirements.txt"; exit 1; }
	@touch $@

venv: $(BIN)/.installed ## create .venv from the pinned requirements

EXAMPLE   ?= demo
HTTP_PORT ?= 8000
HTTP_HOST ?= 127.0.0.1
EXAMPLES  := $(filter-out test_my_app,$(basename $(notdir $(wildcard examples/*.py))))

run: venv ## serve an example on MicroPython (default: the demo): make run [EXAMPLE=websocket] [HTTP_PORT=8123]
	$(if $(wildcard examples/$(EXAMPLE).py),,$(error no example '$(EXAMPLE)': EXAMPLE= one of $(EXAMPLES)))
	$(if $(shell $(BIN)/python -c "import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('$(HTTP_HOST)', int(sys.argv[1])))" '$(HTTP_PORT)' 2>/dev/null && echo free),,$(error port $(HTTP_PORT) is in use (or not a port): HTTP_PORT= picks another, e.g. make run HTTP_PORT=8123))
	@echo "examples/$(EXAMPLE).py on MicroPython (Ctrl-C stops it)"
	@AIOWEBSERVER_HOST=$(HTTP_HOST) AIOWEBSERVER_PORT=$(HTTP_PORT) MICROPYPATH=.frozen:$(CURDIR) $(MPY) examples/$(EXAMPLE).py

browser: ## install Debian's chromium for the browser tests (best effort, needs root)
	@bash ci/install-browser.sh || true

test: venv browser ## run the whole test suite (MicroPython and CPython)
	@$(BIN)/python -c "import atheris" 2>/dev/null || $(BIN)/pip install -q --disable-pip-version-check atheris==3.0.0 2>/dev/null \
		|| echo "note: atheris could not be installed: its fuzz test will be skipped"
	@$(BIN)/python -m pytest tests -n $(TEST_JOBS) --maxprocesses=4 --dist loadfile $(PYTEST_ARGS)

-include mk/*.mk

package.json: ## regenerate mip's package.json from the package's modules
	@$(PYTHON) -c "import glob; f=sorted(glob.glob('aiowebserver/*.py')); open('package.json','w').write('{\\n  \"urls\": [\\n' + ',\\n'.join('    [\"%s\", \"%s\"]' % (m, m) for m in f) + '\\n  ],\\n  \"version\": \"0.1.0\"\\n}\\n'); print('package.json: %d modules' % len(f))"
