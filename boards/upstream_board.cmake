# Shared by every boards/<NAME>/mpconfigboard.cmake: build on MicroPython's own
# board of the same name (its cmake and sdkconfig files are used in place from
# ports/esp32/boards/<NAME>, never copied) and freeze our manifest.py.
#
# Included from ports/esp32/CMakeLists.txt, so CMAKE_SOURCE_DIR is the esp32
# port directory and its relative sdkconfig paths (boards/sdkconfig.base, ...)
# resolve exactly as they do for the in-tree board.
get_filename_component(AIOWEBSERVER_BOARD ${MICROPY_BOARD_DIR} NAME)
set(AIOWEBSERVER_UPSTREAM_BOARD_DIR ${CMAKE_SOURCE_DIR}/boards/${AIOWEBSERVER_BOARD})

if(NOT EXISTS ${AIOWEBSERVER_UPSTREAM_BOARD_DIR}/mpconfigboard.cmake)
    message(FATAL_ERROR "MicroPython has no board ${AIOWEBSERVER_BOARD} in ${CMAKE_SOURCE_DIR}/boards")
endif()
include(${AIOWEBSERVER_UPSTREAM_BOARD_DIR}/mpconfigboard.cmake)

# After the upstream board, so ours wins; FROZEN_MANIFEST=... on the make
# command line still overrides both (see ports/esp32/CMakeLists.txt).
get_filename_component(MICROPY_FROZEN_MANIFEST ${CMAKE_CURRENT_LIST_DIR}/../manifest.py ABSOLUTE)
