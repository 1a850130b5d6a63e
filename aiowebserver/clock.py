# Millisecond ticks: MicroPython's wrapping ticks, or a CPython stand-in.
try:
    from time import ticks_ms, ticks_add, ticks_diff
except ImportError:
    from time import monotonic

    def ticks_ms():
        return int(monotonic() * 1000)

    def ticks_add(t, delta):
        return t + delta

    def ticks_diff(a, b):
        return a - b
