# aiowebserver: an asyncio HTTP server for MicroPython (and CPython).
# Public names only; optional parts load on first use (see __getattr__).
from .router import route, e404, Http404, before_request, after_request, errorhandler
from .server import start, stop, run_forever, limits
from .http import HttpError

__version__ = "0.1.0"

# name -> module that defines it, imported when first asked for
_LAZY = {"route_sse": "sse", "route_ws": "websocket"}


def __getattr__(name):
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(name)
    value = getattr(__import__("aiowebserver." + mod, None, None, [name]), name)
    globals()[name] = value
    return value
