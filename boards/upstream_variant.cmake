# Shared by every boards/<NAME>/mpconfigvariant_<VARIANT>.cmake: use
# MicroPython's own variant file of the same board, in place.
set(_variant_file ${AIOWEBSERVER_UPSTREAM_BOARD_DIR}/mpconfigvariant_${MICROPY_BOARD_VARIANT}.cmake)
if(NOT EXISTS ${_variant_file})
    message(FATAL_ERROR "This MicroPython tree has no ${MICROPY_BOARD_VARIANT} variant of ${AIOWEBSERVER_BOARD} (${_variant_file}); see boards/README.md for the MICROPY_REF it needs")
endif()
include(${_variant_file})
