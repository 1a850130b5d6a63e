# Firmware targets: aiowebserver frozen into MicroPython (included by the
# Makefile). Board definitions: boards/, what is frozen: manifest.py,
# longer guide: docs/firmware.md.
#
#   make firmware BOARD=ESP32_GENERIC_C3 [BOARD_VARIANT=QEMU] [MICROPY_DIR=...]
#   make flash|erase|repl PORT=/dev/ttyUSB0   (or COM4, socket://host:port)
#   make deploy PORT=... [WIFI_SSID=... WIFI_PASSWORD=...] [DEPLOY_MAIN=...]
#   make unix [MICROPY_DIR=...]

# --- what to build -------------------------------------------------------------
BOARD         ?= ESP32_GENERIC_C3
BOARD_VARIANT ?=
# The MicroPython release the firmware is built from. BOARD_VARIANT=QEMU needs
# a newer tree (the variant landed after v1.28.0, commit f71a2316 on master);
# so does QEMU_OTA, which builds on it. OTA and QEMU_OTA are ours (boards/).
MICROPY_QEMU_REF := f71a2316eebaeaf95724672f3f56540ecf73c014
# the upstream variant a variant of ours builds on (QEMU_OTA -> QEMU; OTA: none)
UPSTREAM_VARIANT := $(patsubst %_OTA,%,$(filter-out OTA,$(BOARD_VARIANT)))
# OTA variants: two app slots of OTA_SLOT bytes (boards/<BOARD>/partitions-ota.csv)
OTA_SLOT := 1835008
ifeq ($(UPSTREAM_VARIANT),QEMU)
MICROPY_REF   ?= $(MICROPY_QEMU_REF)
else
MICROPY_REF   ?= v1.28.0
endif
MICROPY_GIT   ?= https://github.com/micropython/micropython.git
# Without MICROPY_DIR, MicroPython is fetched at MICROPY_REF into this cache.
MICROPY_CACHE ?= .cache/micropython/$(MICROPY_REF)
ifdef MICROPY_DIR
MICROPY_DIR_GIVEN := 1
else
MICROPY_DIR := $(MICROPY_CACHE)
endif
MPY_TREE := $(abspath $(MICROPY_DIR))

# ESP-IDF versions ports/esp32/README.md supports at v1.28.0 (and at f71a2316),
# the recommended one first. IDF_VERSIONS= (empty) skips the check.
IDF_VERSION  ?= v5.5.1
IDF_VERSIONS ?= $(IDF_VERSION) v5.5.2 v5.5.4 v5.4.2 v5.4.1 v5.4 v5.3
IDF_INSTALL   = git clone -b $(IDF_VERSION) --recursive https://github.com/espressif/esp-idf.git && ./esp-idf/install.sh $(BOARD_CHIP) && . ./esp-idf/export.sh

# Per board: chip and flash offset for esptool (boards/<BOARD>/board.mk).
BOARD_CHIP         := esp32
BOARD_FLASH_OFFSET := 0x1000
-include boards/$(BOARD)/board.mk

# Optional: freeze a main.py too (only when asked; it shadows /main.py).
FREEZE_MAIN ?=

# --- talking to the board -------------------------------------------------------
PORT    ?=
BAUD    ?= 460800
ESPTOOL  ?= $(BIN)/esptool
MPREMOTE ?= $(BIN)/mpremote
DEPLOY_MAIN   ?= examples/device_main.py
# Extra files copied as they are to the board's root: DEPLOY_ASSETS="index.html app.js"
DEPLOY_ASSETS ?=
WIFI_SSID     ?=
WIFI_PASSWORD ?=
# Written locally (git-ignored), copied to the board as :wifi.json.
WIFI_JSON     ?= wifi.json
# Over Wi-Fi instead of USB: make ota/deploy HOST=aiowebserver-XXXX.local (or an
# address, :port when not 80); the board's admin password (docs/ota.md). With
# PORT=, ADMIN_PASSWORD sets it on the board (its SHA-256 goes into wifi.json).
HOST           ?=
ADMIN_PASSWORD ?=
OTA_CLIENT     := $(BIN)/python tools/ota_client.py
export WIFI_SSID WIFI_PASSWORD ADMIN_PASSWORD

# --- outputs ---------------------------------------------------------------------
_VARIANT_SUFFIX := $(if $(BOARD_VARIANT),-$(BOARD_VARIANT))
FW_NAME   := $(BOARD)$(_VARIANT_SUFFIX)
# Build directories: in this checkout's build/ (git-ignored), one per
# MicroPython tree, so two checkouts or two trees never share stale objects
# (MicroPython reuses a frozen .mpy that is newer than its source).
MPY_TREE_ID := $(shell printf '%s' '$(MPY_TREE)' | cksum | cut -d' ' -f1)
ESP32_BUILD := $(CURDIR)/build/esp32-$(FW_NAME)-$(MPY_TREE_ID)
UNIX_BUILD   = $(CURDIR)/build/unix-$(MPY_TREE_ID)$(if $(filter 1,$(UNIX_SSL)),-ssl)
# No btree, TLS or FFI: no submodules beyond micropython-lib to fetch or build.
# Without TLS the unix port has no hashlib.sha1 (it comes from mbedtls there;
# the esp32 port always has it; websocket.py falls back to its own SHA-1):
# UNIX_SSL=1 builds with mbedtls, as on the board (needs lib/mbedtls).
UNIX_SSL    ?= 0
UNIX_FLAGS   = BUILD=$(UNIX_BUILD) FROZEN_MANIFEST="$(CURDIR)/boards/manifest_unix.py" MICROPY_PY_BTREE=0 MICROPY_PY_SSL=$(UNIX_SSL) MICROPY_PY_FFI=0
UNIX_SUBMODULES_PRESENT = test -f "$(MPY_TREE)/lib/micropython-lib/README.md"$(if $(filter 1,$(UNIX_SSL)), && test -n "$$(ls -A "$(MPY_TREE)/lib/mbedtls" 2>/dev/null)")
FW_LOG_DIR  := build
AIOWEBSERVER_VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' aiowebserver/__init__.py 2>/dev/null)
# Image names: <BOARD>[-<VARIANT>]-aiowebserver-<version>-micropython-<version>.bin
FIRMWARE ?= $(firstword $(filter-out %-app.bin,$(shell ls -t firmware/$(FW_NAME)-aiowebserver-*.bin 2>/dev/null)))
# What make ota sends: the app image alone (FIRMWARE= when given on the command line).
OTA_FIRMWARE = $(if $(filter command line environment,$(origin FIRMWARE)),$(FIRMWARE),$(firstword $(shell ls -t firmware/$(BOARD)-*-app.bin 2>/dev/null)))

# MicroPython's version, from the tree itself (it names the image): git
# describe when the tree is its own repository's top level (not a folder in
# some other checkout), else py/mpconfig.h as MicroPython's makeversionhdr.py
# reads it (v1.29.0-preview). Expanded only where used.
MPY_VERSION = $(or $(shell t="$(MPY_TREE)"; \
  if [ -d "$$t" ] && [ "$$(git -C "$$t" rev-parse --show-toplevel 2>/dev/null)" = "$$(cd "$$t" && pwd -P)" ]; then \
    git -C "$$t" describe --tags --always 2>/dev/null; \
  elif [ -f "$$t/py/mpconfig.h" ]; then \
    awk '$$2 ~ /^MICROPY_VERSION_(MAJOR|MINOR|MICRO|PRERELEASE)$$/ { v[$$2] = $$3 } \
      END { if (v["MICROPY_VERSION_MAJOR"] != "") printf "v%s.%s.%s%s\n", v["MICROPY_VERSION_MAJOR"], v["MICROPY_VERSION_MINOR"], v["MICROPY_VERSION_MICRO"], (v["MICROPY_VERSION_PRERELEASE"] == 1 ? "-preview" : "") }' "$$t/py/mpconfig.h"; \
  fi),$(MICROPY_REF))

# The submodules an esp32 build needs beyond ESP-IDF (shell test).
ESP32_SUBMODULES_PRESENT = test -f "$(MPY_TREE)/lib/micropython-lib/README.md" && test -n "$$(ls -A "$(MPY_TREE)/lib/berkeley-db-1.xx" 2>/dev/null)"

# Sub-makes get a clean command line: none of our variables (PORT, BOARD, ...)
# leak into MicroPython's makefiles. Not $(MAKE), so `make -n` only prints them.
SUBMAKE := env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make
JOBS    ?= $(shell nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)

# $(call fw_need_port): one-line failure when PORT is unset or not there.
define fw_need_port
	@test -n "$(PORT)" || { echo "error: PORT is not set: make $@ PORT=/dev/ttyUSB0 (Linux), /dev/cu.usbserial-0001 (macOS), COM4 (Windows) or socket://host:port; list ports with: $(MPREMOTE) devs"; exit 1; }
	@case "$(PORT)" in /dev/*) test -e "$(PORT)" || { echo "error: serial port $(PORT) not found: is the board plugged in? list ports with: $(MPREMOTE) devs"; exit 1; };; esac
endef

# $(call fw_need_tool,path,how to get it)
define fw_need_tool
	@test -x "$(1)" || command -v "$(1)" >/dev/null 2>&1 || { echo "error: $(notdir $(1)) not found: $(2)"; exit 1; }
endef

# One-line cause when the MicroPython tree is missing; fetch it into the
# cache when MICROPY_DIR was not given.
define fw_need_micropython
	@if [ -n "$(MICROPY_DIR_GIVEN)" ]; then \
	  test -f "$(MPY_TREE)/py/mpconfig.h" || { echo "error: MICROPY_DIR=$(MICROPY_DIR) is not a MicroPython source tree (no py/mpconfig.h)"; exit 1; }; \
	elif [ ! -f "$(MPY_TREE)/py/mpconfig.h" ]; then \
	  command -v git >/dev/null 2>&1 || { echo "error: git not found: install git, or pass MICROPY_DIR=path/to/micropython"; exit 1; }; \
	  echo "fetching MicroPython $(MICROPY_REF) into $(MICROPY_DIR)"; \
	  rm -rf "$(MPY_TREE).tmp" && mkdir -p "$(MPY_TREE).tmp" && \
	  git -C "$(MPY_TREE).tmp" init -q && \
	  git -C "$(MPY_TREE).tmp" fetch -q --depth 1 "$(MICROPY_GIT)" "$(MICROPY_REF)" && \
	  git -C "$(MPY_TREE).tmp" -c advice.detachedHead=false checkout -q FETCH_HEAD && \
	  mv "$(MPY_TREE).tmp" "$(MPY_TREE)" || { echo "error: could not fetch MicroPython $(MICROPY_REF) from $(MICROPY_GIT) (offline? pass MICROPY_DIR=path/to/micropython)"; exit 1; }; \
	fi
endef

# $(call fw_run,log name,what,command): quiet build step, its log tail on failure.
define fw_run
	@mkdir -p $(FW_LOG_DIR)
	@echo "$(2) (log: $(FW_LOG_DIR)/$(1).log)"
	@$(3) >$(FW_LOG_DIR)/$(1).log 2>&1 || { tail -n 25 $(FW_LOG_DIR)/$(1).log; echo "error: $(2) failed: see $(FW_LOG_DIR)/$(1).log"; exit 1; }
endef

# Espressif's QEMU (BOARD_VARIANT=QEMU image): Ethernet through user-mode
# networking with the board's port 80 on 127.0.0.1:QEMU_HTTP_PORT, and the
# REPL on socket://127.0.0.1:QEMU_SERIAL_PORT (for make deploy / make repl).
QEMU          ?= qemu-system-riscv32
QEMU_HTTP_PORT   ?= 8080
QEMU_SERIAL_PORT ?= 5555
QEMU_FLASH_SIZE  ?= 4MB
QEMU_FIRMWARE ?= $(firstword $(shell ls -t firmware/$(BOARD)-QEMU-aiowebserver-*.bin 2>/dev/null))
# The emulated flash. It is kept across restarts (the files make deploy wrote
# stay) and made anew from QEMU_FIRMWARE only when that image changed (its
# checksum is kept beside it) or with QEMU_FRESH=1.
QEMU_FLASH ?= $(FW_LOG_DIR)/qemu-flash.bin
QEMU_FRESH ?=

.PHONY: firmware flash erase deploy ota repl unix qemu

firmware: ## build the ESP32 image with aiowebserver frozen: make firmware BOARD=ESP32_GENERIC_C3 [BOARD_VARIANT=QEMU]
	@test -f boards/$(BOARD)/mpconfigboard.cmake || { echo "error: no board definition boards/$(BOARD) (see boards/README.md to add one)"; exit 1; }
ifneq ($(BOARD_VARIANT),)
	@test -f boards/$(BOARD)/mpconfigvariant_$(BOARD_VARIANT).cmake || { echo "error: no variant $(BOARD_VARIANT) in boards/$(BOARD)"; exit 1; }
endif
	@command -v idf.py >/dev/null 2>&1 || { echo "error: idf.py not found: install ESP-IDF $(IDF_VERSION) and load it: $(IDF_INSTALL)"; exit 1; }
	@v=$$(idf.py --version 2>/dev/null | sed -n 's/^ESP-IDF \(v[0-9.]*\).*/\1/p'); \
	  test -z "$(IDF_VERSIONS)" || case " $(IDF_VERSIONS) " in *" $$v "*) ;; *) echo "error: ESP-IDF $${v:-of unknown version} found, MicroPython $(MICROPY_REF) needs $(IDF_VERSION) (or one of: $(IDF_VERSIONS)): $(IDF_INSTALL)"; exit 1;; esac
	$(fw_need_micropython)
ifneq ($(UPSTREAM_VARIANT),)
	@test -f "$(MPY_TREE)/ports/esp32/boards/$(BOARD)/mpconfigvariant_$(UPSTREAM_VARIANT).cmake" || { echo "error: MicroPython in $(MICROPY_DIR) has no $(UPSTREAM_VARIANT) variant of $(BOARD)$(if $(filter-out $(UPSTREAM_VARIANT),$(BOARD_VARIANT)), (which $(BOARD_VARIANT) builds on)): use MICROPY_REF=$(MICROPY_QEMU_REF) (or later) or a MICROPY_DIR at or after it"; exit 1; }
endif
	$(call fw_run,mpy-cross,building mpy-cross,$(SUBMAKE) -C "$(MPY_TREE)/mpy-cross" -j$(JOBS))
	@$(ESP32_SUBMODULES_PRESENT) || test -e "$(MPY_TREE)/.git" || { echo "error: $(MICROPY_DIR) has no submodules (lib/micropython-lib, lib/berkeley-db-1.xx) and is not a git checkout"; exit 1; }
	@$(ESP32_SUBMODULES_PRESENT) || \
	  { echo "fetching the submodules $(BOARD) needs"; $(SUBMAKE) -C "$(MPY_TREE)/ports/esp32" BOARD_DIR="$(CURDIR)/boards/$(BOARD)" BUILD=$(ESP32_BUILD) submodules >$(FW_LOG_DIR)/submodules.log 2>&1 || { echo "error: make submodules failed: see $(FW_LOG_DIR)/submodules.log"; exit 1; }; }
	@rm -rf $(FW_LOG_DIR)/freeze-main
ifneq ($(FREEZE_MAIN),)
	@test -f "$(FREEZE_MAIN)" || { echo "error: FREEZE_MAIN=$(FREEZE_MAIN) not found"; exit 1; }
	@mkdir -p $(FW_LOG_DIR)/freeze-main && cp "$(FREEZE_MAIN)" $(FW_LOG_DIR)/freeze-main/main.py
endif
	@# MICROPY_MPYCROSS (exported by make to idf.py): the mpy-cross just built; without
	@# it the port's cmake makes mpy-cross again from inside ninja, in a sub-make that
	@# inherits BUILD=<this build> and writes its genhdr there (makemoduledefs.py AssertionError)
	$(call fw_run,firmware-$(FW_NAME),building $(FW_NAME) with ESP-IDF,$(if $(FREEZE_MAIN),AIOWEBSERVER_FREEZE_MAIN=$(CURDIR)/$(FW_LOG_DIR)/freeze-main/main.py) $(SUBMAKE) -C "$(MPY_TREE)/ports/esp32" BOARD_DIR="$(CURDIR)/boards/$(BOARD)" $(if $(BOARD_VARIANT),BOARD_VARIANT=$(BOARD_VARIANT)) BUILD=$(ESP32_BUILD) MICROPY_MPYCROSS="$(MPY_TREE)/mpy-cross/build/mpy-cross")
	@mkdir -p firmware
	@out=firmware/$(FW_NAME)-aiowebserver-$(AIOWEBSERVER_VERSION)-micropython-$(MPY_VERSION).bin; \
	  cp "$(ESP32_BUILD)/firmware.bin" $$out && \
	  echo "$$out: write it with: make flash BOARD=$(BOARD) PORT=... (esptool at $(BOARD_FLASH_OFFSET))"
ifneq ($(filter %OTA,$(BOARD_VARIANT)),)
	@app=firmware/$(FW_NAME)-aiowebserver-$(AIOWEBSERVER_VERSION)-micropython-$(MPY_VERSION)-app.bin; \
	  cp "$(ESP32_BUILD)/micropython.bin" $$app && size=$$(wc -c < $$app) && \
	  echo "$$app: the app image for make ota HOST=... FIRMWARE=$$app: $$size bytes, $$((size * 100 / $(OTA_SLOT)))% of the $(OTA_SLOT)-byte app slot ($$(( ($(OTA_SLOT) - size) / 1024 )) KB left)"
endif

flash: ## write the newest firmware/ image to the board: make flash PORT=/dev/ttyUSB0 [BOARD=...] [FIRMWARE=file.bin]
	$(call fw_need_port)
	$(call fw_need_tool,$(ESPTOOL),run make venv)
	@test -n "$(FIRMWARE)" && test -f "$(FIRMWARE)" || { echo "error: no firmware image$(if $(FIRMWARE), $(FIRMWARE)) for $(FW_NAME) in firmware/: run make firmware BOARD=$(BOARD), or download one (firmware/README.md) and pass FIRMWARE=path/to/image.bin"; exit 1; }
	$(ESPTOOL) --chip $(BOARD_CHIP) --port $(PORT) --baud $(BAUD) write-flash $(BOARD_FLASH_OFFSET) $(FIRMWARE)

erase: ## erase the board's whole flash (firmware and files): make erase PORT=/dev/ttyUSB0
	$(call fw_need_port)
	$(call fw_need_tool,$(ESPTOOL),run make venv)
	$(ESPTOOL) --chip $(BOARD_CHIP) --port $(PORT) erase-flash

deploy: ## copy main.py (DEPLOY_MAIN, default examples/device_main.py) and wifi.json to the board: make deploy PORT=... (USB) or HOST=... (Wi-Fi) [WIFI_SSID=... WIFI_PASSWORD=...] [ADMIN_PASSWORD=...]
ifneq ($(HOST),)
	@test -f "$(DEPLOY_MAIN)" || { echo "error: DEPLOY_MAIN=$(DEPLOY_MAIN) not found"; exit 1; }
	@for f in $(DEPLOY_ASSETS); do test -f "$$f" || { echo "error: asset $$f not found"; exit 1; }; done
	@$(OTA_CLIENT) deploy $(HOST) $(DEPLOY_MAIN)=main.py $(DEPLOY_ASSETS)
else
	$(call fw_need_port)
	$(call fw_need_tool,$(MPREMOTE),run make venv)
	@test -f "$(DEPLOY_MAIN)" || { echo "error: DEPLOY_MAIN=$(DEPLOY_MAIN) not found"; exit 1; }
	@for f in $(DEPLOY_ASSETS); do test -f "$$f" || { echo "error: asset $$f not found"; exit 1; }; done
ifneq ($(WIFI_SSID),)
	@echo "writing $(WIFI_JSON) (git-ignored) for the network $$WIFI_SSID"
	@umask 077 && $(BIN)/python -c 'import json, os, sys; from aiowebserver.device import password_hash; pw = os.environ.get("ADMIN_PASSWORD"); json.dump(dict({"ssid": os.environ["WIFI_SSID"], "password": os.environ.get("WIFI_PASSWORD", "")}, **({"admin_sha256": password_hash(pw)} if pw else {})), open(sys.argv[1], "w"))' "$(WIFI_JSON)"
else ifneq ($(WIFI_PASSWORD),)
	@echo "error: WIFI_PASSWORD given without WIFI_SSID"; exit 1
endif
ifneq ($(and $(ADMIN_PASSWORD),$(if $(WIFI_SSID),,1)),)
	@# only the admin password: set on the board, its other settings kept (the SHA-256 travels, not the password)
	h=$$($(BIN)/python -c 'import os; from aiowebserver.device import password_hash; print(password_hash(os.environ["ADMIN_PASSWORD"]))') && \
	$(MPREMOTE) connect $(PORT) cp $(DEPLOY_MAIN) :main.py$(foreach f,$(DEPLOY_ASSETS), + cp $(f) :$(notdir $(f))) + exec "from aiowebserver import device; device.set_admin_hash('$$h')" + reset
else
	$(MPREMOTE) connect $(PORT) cp $(DEPLOY_MAIN) :main.py$(if $(WIFI_SSID), + cp $(WIFI_JSON) :wifi.json)$(foreach f,$(DEPLOY_ASSETS), + cp $(f) :$(notdir $(f))) + reset
endif
endif

ota: ## send a new app image over Wi-Fi, wait for the board to restart into it: make ota HOST=... FIRMWARE=firmware/...-app.bin ADMIN_PASSWORD=...
	@test -n "$(HOST)" || { echo "error: HOST is not set: make ota HOST=aiowebserver-XXXX.local FIRMWARE=firmware/<image>-app.bin (an address works too)"; exit 1; }
	@test -n "$(OTA_FIRMWARE)" && test -f "$(OTA_FIRMWARE)" || { echo "error: no app image$(if $(OTA_FIRMWARE), $(OTA_FIRMWARE)): run make firmware BOARD=$(BOARD) BOARD_VARIANT=OTA (it writes firmware/*-app.bin), or pass FIRMWARE=path/to/micropython.bin"; exit 1; }
	@$(OTA_CLIENT) ota $(HOST) $(OTA_FIRMWARE)

repl: ## open the board's Python prompt (Ctrl-] leaves): make repl PORT=/dev/ttyUSB0
	$(call fw_need_port)
	$(call fw_need_tool,$(MPREMOTE),run make venv)
	$(MPREMOTE) connect $(PORT) repl

qemu: ## run the BOARD_VARIANT=QEMU image in Espressif's QEMU (web on 127.0.0.1:8080, REPL on socket://127.0.0.1:5555; the flash file is kept, QEMU_FRESH=1 starts anew)
	$(call fw_need_tool,$(QEMU),install Espressif's QEMU: python \$$IDF_PATH/tools/idf_tools.py install qemu-riscv32 && . \$$IDF_PATH/export.sh)
	$(call fw_need_tool,$(ESPTOOL),run make venv)
	@test -n "$(QEMU_FIRMWARE)" && test -f "$(QEMU_FIRMWARE)" || { echo "error: no QEMU image for $(BOARD) in firmware/: run make firmware BOARD=$(BOARD) BOARD_VARIANT=QEMU, or pass QEMU_FIRMWARE=path/to/image.bin"; exit 1; }
	@mkdir -p $(FW_LOG_DIR)
	@sum="$$(cksum <"$(QEMU_FIRMWARE)") $(QEMU_FLASH_SIZE)"; \
	if [ -n "$(QEMU_FRESH)" ] || [ ! -f "$(QEMU_FLASH)" ] || [ "$$(cat "$(QEMU_FLASH).src" 2>/dev/null)" != "$$sum" ]; then \
	  echo "QEMU: flash $(QEMU_FLASH) made from $(QEMU_FIRMWARE)"; rm -f "$(QEMU_FLASH).src"; \
	  $(ESPTOOL) --chip $(BOARD_CHIP) merge-bin --pad-to-size $(QEMU_FLASH_SIZE) -o $(QEMU_FLASH) $(BOARD_FLASH_OFFSET) $(QEMU_FIRMWARE) >/dev/null || exit 1; \
	  echo "$$sum" >"$(QEMU_FLASH).src"; \
	else \
	  echo "QEMU: flash $(QEMU_FLASH) kept with its files (QEMU_FRESH=1 makes it anew from the image)"; \
	fi
	@echo "QEMU: REPL on socket://127.0.0.1:$(QEMU_SERIAL_PORT) (make repl/deploy PORT=socket://127.0.0.1:$(QEMU_SERIAL_PORT)), board port 80 on http://127.0.0.1:$(QEMU_HTTP_PORT)/; Ctrl-A X quits"
	$(QEMU) -nographic -machine $(BOARD_CHIP) -drive file=$(QEMU_FLASH),if=mtd,format=raw \
	  -global driver=timer.$(BOARD_CHIP).timg,property=wdt_disable,value=true \
	  -nic user,model=open_eth,hostfwd=tcp:127.0.0.1:$(QEMU_HTTP_PORT)-:80 \
	  -serial tcp:127.0.0.1:$(QEMU_SERIAL_PORT),server,nowait

unix: ## build MicroPython's unix port with the same manifest frozen -> firmware/micropython-unix [MICROPY_DIR=...]
	$(call fw_need_tool,cc,install a C compiler (Debian: apt-get install build-essential))
	$(fw_need_micropython)
	$(call fw_run,mpy-cross,building mpy-cross,$(SUBMAKE) -C "$(MPY_TREE)/mpy-cross" -j$(JOBS))
	@$(UNIX_SUBMODULES_PRESENT) || { test -e "$(MPY_TREE)/.git" && $(SUBMAKE) -C "$(MPY_TREE)/ports/unix" $(UNIX_FLAGS) submodules >/dev/null 2>&1; } || { echo "error: submodules missing in $(MICROPY_DIR): lib/micropython-lib$(if $(filter 1,$(UNIX_SSL)), and lib/mbedtls) (git submodule update --init lib/micropython-lib$(if $(filter 1,$(UNIX_SSL)), lib/mbedtls))"; exit 1; }
	$(call fw_run,unix,building the unix port with aiowebserver frozen,$(SUBMAKE) -C "$(MPY_TREE)/ports/unix" -j$(JOBS) $(UNIX_FLAGS))
	@mkdir -p firmware
	@cp "$(UNIX_BUILD)/micropython" $(FW_LOG_DIR)/micropython-unix.tmp && mv -f $(FW_LOG_DIR)/micropython-unix.tmp firmware/micropython-unix
	@echo "firmware/micropython-unix: MicroPython $(MPY_VERSION) with aiowebserver frozen"
