# BOARD_VARIANT=QEMU_OTA: the QEMU variant (open_eth Ethernet in Espressif's
# QEMU; MicroPython after v1.28.0) with the two app slots of the OTA variant:
# an update over HTTP and the bootloader's rollback, tested in the emulator.
set(SDKCONFIG_DEFAULTS
    ${SDKCONFIG_DEFAULTS}
    boards/ESP32_GENERIC_C3/sdkconfig.qemu
)
include(${CMAKE_CURRENT_LIST_DIR}/ota_variant.cmake)

list(APPEND MICROPY_DEF_BOARD
    MICROPY_HW_BOARD_NAME="ESP32C3 module with QEMU and OTA"
)
