# BOARD_VARIANT=OTA: a real ESP32-C3 (4 MiB flash) with two app slots, so that
# firmware updates go over Wi-Fi (aiowebserver.ota, make ota HOST=...).
# MicroPython has no OTA variant of this board: this one adds sdkconfig.ota
# (beside this file) to the board's own settings.
set(SDKCONFIG_DEFAULTS
    ${SDKCONFIG_DEFAULTS}
    ${CMAKE_CURRENT_LIST_DIR}/sdkconfig.ota
)

list(APPEND MICROPY_DEF_BOARD
    MICROPY_HW_BOARD_NAME="ESP32C3 module with OTA"
)
