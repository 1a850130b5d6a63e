# aiowebserver: an asyncio HTTP server for MicroPython (and CPython).
# Public names only. Everything but the route table loads on first use (see
# __getattr__): the server itself when the app starts it.
from .router import route, e404, Http404, before_request, after_request, errorhandler

__version__ = "0.1.0"

# name -> module that defines it, imported when first asked for
_LAZY = {
    "start": "server",
    "stop": "server",
    "run_forever": "server",
    "limits": "server",
    "HttpError": "http",
    "route_sse": "live",
    "route_ws": "live",
    "ConnectionClosed": "sse",
    "cors": "cors",
    "basic_auth": "auth",
    "tls_context": "tls",
    "sessions": "sessions",
    "csrf": "csrf",
    "Group": "group",
    "mount": "group",
    # modules: `from aiowebserver import ota` (or web.ota) loads it
    "ota": "ota",
    "device": "device",
    "render": "template",
    "safe": "template",
    "template": "template",  # a module: template.package names the compiled templates' package
}


def __getattr__(name):
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(name)
    value = __import__("aiowebserver." + mod, None, None, [name])
    value = getattr(value, name, value)  # cors.cors, sessions.sessions; ota: the module itself
    globals()[name] = value
    return value
