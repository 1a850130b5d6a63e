# Run on a board by `make lib` (mpremote run): which .mpy files it loads.
# sys.implementation._mpy: the .mpy version in the low byte, the native
# architecture from bit 10 (MicroPython's docs/reference/mpyfiles.rst).
import sys

mpy = getattr(sys.implementation, "_mpy", 0)
archs = ("none", "x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp",
         "armv7emdp", "xtensa", "xtensawin", "rv32imc", "rv64imc")
arch = mpy >> 10
print("mpy-arch:", archs[arch] if arch < len(archs) else "unknown-%d" % arch)
print("mpy-version:", mpy & 0xFF)
