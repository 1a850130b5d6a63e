# Shared by mpconfigvariant_OTA.cmake and mpconfigvariant_QEMU_OTA.cmake:
# sdkconfig.ota, and the partition table beside it, which sdkconfig can only
# name with a path: written into a small sdkconfig file in the build directory.
if(NOT AIOWEBSERVER_OTA_TABLE_DIR)  # (a test's cmake -P sets its own)
    set(AIOWEBSERVER_OTA_TABLE_DIR ${CMAKE_BINARY_DIR})
endif()
set(_ota_table ${AIOWEBSERVER_OTA_TABLE_DIR}/sdkconfig.ota_table)
file(WRITE ${_ota_table} "CONFIG_PARTITION_TABLE_CUSTOM_FILENAME=\"${CMAKE_CURRENT_LIST_DIR}/partitions-ota.csv\"\n")
set(SDKCONFIG_DEFAULTS
    ${SDKCONFIG_DEFAULTS}
    ${CMAKE_CURRENT_LIST_DIR}/sdkconfig.ota
    ${_ota_table}
)
