# BOARD_VARIANT=OTA: a real ESP32-C3 (4 MiB flash) with two app slots, so that
# firmware updates go over Wi-Fi (aiowebserver.ota, make ota HOST=...).
# MicroPython has no OTA variant of this board: ota_variant.cmake adds
# sdkconfig.ota and partitions-ota.csv (beside this file) to its settings.
include(${CMAKE_CURRENT_LIST_DIR}/ota_variant.cmake)

list(APPEND MICROPY_DEF_BOARD
    MICROPY_HW_BOARD_NAME="ESP32C3 module with OTA"
)
