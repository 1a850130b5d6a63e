# CSRF protection: web.csrf() refuses requests that change things (POST,
# PUT, PATCH, DELETE) sent by a page of another site. Loaded on first use of
# web.csrf. A before_request hook reads what the browser says about where the
# request comes from: Sec-Fetch-Site, else Origin against Host. A request with
# neither (curl, scripts, old browsers' same-origin forms) passes.
import sys
from .router import before_request, _errors

_UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def _host(origin):
    # 'http://Host:80' -> 'host' (default ports dropped, like a Host header)
    i = origin.find("://")
    host = origin[i + 3 :].lower() if i > 0 else origin.lower()
    if host.endswith(":80") and origin[:5] == "http:":
        return host[:-3]
    if host.endswith(":443") and origin[:6] == "https:":
        return host[:-4]
    return host


def same_origin(rq, same_site=False):
    # Whether the browser says the request comes from a page of this origin
    # (same_site: or of this site); True as well when it says nothing (no
    # browser). Used by the csrf() hook and by aiowebserver.device, which lets no
    # web.cors() origin through.
    headers = rq.headers
    site = headers.get("sec-fetch-site")
    if site is not None:
        site = site.lower()
        return site == "same-origin" or site == "none" or (same_site and site == "same-site")
    origin = headers.get("origin")
    if origin is None:
        return True  # not from a browser (or one too old to say): nothing to check
    if origin != "null":
        host = headers.get("host")
        return host is not None and _host(origin) == _host("http://" + host)
    return False


def csrf(same_site=False):
    """Refuse POST, PUT, PATCH and DELETE sent by pages of other sites: 403.

    same_site: also let through pages of the same site on another origin
    (another port or subdomain of this host); origins a web.cors() call
    allows always pass.
    """

    async def hook(rq):
        if rq.method not in _UNSAFE or same_origin(rq, same_site):
            return
        origin = rq.headers.get("origin")
        cors = sys.modules.get("aiowebserver.cors")
        if cors is not None and origin is not None:  # origins a web.cors() call lets change its paths
            for prefix, origins in cors.allowed:
                if rq.path.startswith(prefix) and (origins == "*" or origin in origins):
                    return
        rq.return_status(403)
        if _errors:  # the app or a mounted group has error handlers: maybe one for 403
            # (errors: ~1.5 KB of .mpy heap, bench/feature_heap.py; not loaded for the plain refusal)
            from .errors import handler_for

            handler = handler_for(rq, 403)
            if handler is not None:
                await handler(rq)  # the app's errorhandler(403)
                return
        rq._add_header("Content-Type", "text/plain; charset=utf-8")
        await rq.w("403 Forbidden: cross-site request refused\n")

    before_request(hook)
    return hook
