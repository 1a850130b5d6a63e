# Where the heap goes when `import aiowebserver` runs: wraps __import__ and
# prints, per module, the gc.mem_alloc() growth it caused itself (its nested
# imports subtracted). Run with the binary and MICROPYPATH to study, e.g.
#   MICROPYPATH=.frozen firmware/micropython-unix bench/heap_breakdown.py
import builtins
import gc

real_import = builtins.__import__
own = {}
stack = []


def measuring_import(name, *args):
    gc.collect()
    before = gc.mem_alloc()
    stack.append(0)
    try:
        return real_import(name, *args)
    finally:
        children = stack.pop()
        gc.collect()
        total = gc.mem_alloc() - before
        if total:
            key = name if not args or len(args) < 4 or not args[3] else "." * args[3] + name
            own[key] = own.get(key, 0) + total - children
        if stack:
            stack[-1] += total


builtins.__import__ = measuring_import
gc.collect()
start = gc.mem_alloc()
import aiowebserver as web  # noqa: E402

builtins.__import__ = real_import
gc.collect()
imported = gc.mem_alloc()


@web.route("GET", "/")
async def hello(rq):
    await rq.w("Hello, world!")


gc.collect()
route = gc.mem_alloc() - imported
for name, size in sorted(own.items(), key=lambda item: -item[1]):
    print("%6d  %s" % (size, name))
print("%6d  total import (incl. asyncio if not preloaded)" % (imported - start))
print("%6d  one route" % route)
