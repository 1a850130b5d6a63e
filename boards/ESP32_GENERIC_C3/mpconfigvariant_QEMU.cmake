# BOARD_VARIANT=QEMU: runs in Espressif's QEMU, networking through the emulated
# open_eth Ethernet (network.LAN(phy_type=network.PHY_OPENETH)).
# Upstream has this variant from commit f71a2316 (after v1.28.0).
include(${CMAKE_CURRENT_LIST_DIR}/../upstream_variant.cmake)
