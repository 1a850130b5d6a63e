# MicroPython's ESP32_GENERIC_C3 with aiowebserver frozen in.
include(${CMAKE_CURRENT_LIST_DIR}/../upstream_board.cmake)
