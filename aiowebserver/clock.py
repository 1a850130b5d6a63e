# Millisecond ticks for CPython, standing in for MicroPython's time.ticks_*.
from time import monotonic


def ticks_ms():
    return int(monotonic() * 1000)


def ticks_add(t, delta):
    return t + delta


def ticks_diff(a, b):
    return a - b
