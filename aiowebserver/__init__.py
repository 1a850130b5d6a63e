# aiowebserver: an asyncio HTTP server for MicroPython (and CPython).
# Public names only. Everything but the route table loads on first use (see
# __getattr__): the server itself when the app starts it.
from .router import route, e404, Http404, before_request, after_request, errorhandler

__version__ = "0.1.0"

# name=module that defines it, imported when first asked for. A str, not a
# dict: frozen, it stays in flash (a dict would be built in the heap).
# Modules too: `from aiowebserver import ota` (or web.ota) loads it; template
# is one (template.package names the compiled templates' package).
_LAZY = (
    " start=server stop=server run_forever=server limits=server"
    " HttpError=http route_sse=sse route_ws=live ConnectionClosed=stream"
    " cors=cors basic_auth=auth tls_context=tls sessions=sessions csrf=csrf"
    " Group=group mount=group ota=ota device=device"
    " render=template safe=template template=template "
)


def __getattr__(name):
    i = _LAZY.find(" %s=" % name)
    if i < 0 or "=" in name:
        raise AttributeError(name)
    i += len(name) + 2
    value = __import__("aiowebserver." + _LAZY[i : _LAZY.find(" ", i)], None, None, [name])
    value = getattr(value, name, value)  # cors.cors, sessions.sessions; ota: the module itself
    globals()[name] = value
    return value
