# Read by mk/firmware.mk (MicroPython ignores it): how esptool writes this
# board's merged firmware.bin (ports/esp32/boards/ESP32_GENERIC_C3/board.json).
BOARD_CHIP := esp32c3
BOARD_FLASH_OFFSET := 0x0
