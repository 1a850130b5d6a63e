# CORS: web.cors(...) lets pages from other origins call this server.
# Loaded on first use of web.cors. One before_request hook per call answers
# preflight OPTIONS requests itself and adds Access-Control-Allow-Origin to
# every other answer of the paths it covers.
from .router import before_request

# (prefix, origins) of every cors() call: web.csrf lets these origins through
allowed = []


def _join(items):
    return items if items is None or isinstance(items, str) else ", ".join(items)


def cors(
    origins="*",
    methods=("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"),
    headers=None,
    max_age=600,
    credentials=False,
    expose=None,
    prefix="/",
):
    """Allow cross-origin requests to the paths that start with prefix.

    origins: '*' or a list of origins ('http://host:port') allowed to call;
    methods: allowed in preflight; headers: request headers allowed in
    preflight (None: whatever the browser asks for); max_age: seconds a
    browser may cache a preflight answer; credentials: allow cookies and
    Authorization (the origin is then echoed instead of '*'); expose:
    response headers the page's script may read.
    """
    methods = _join(methods)
    headers = _join(headers)
    expose = _join(expose)
    any_origin = origins == "*"
    if not any_origin and isinstance(origins, str):
        origins = (origins,)

    async def hook(rq):
        if not rq.path.startswith(prefix):
            return
        origin = rq.headers.get("origin")
        if origin is None:
            return  # not a cross-origin request: nothing to add
        allowed = any_origin or origin in origins
        preflight = rq.method == "OPTIONS" and "access-control-request-method" in rq.headers
        if preflight:
            if not allowed:
                rq.return_status(403)
                rq._add_header("Content-Type", "text/plain; charset=utf-8")
                await rq.w("403 Forbidden: origin not allowed\n")
                return
            rq.return_status(204)
        if not allowed:
            return  # no CORS headers: the browser keeps the answer from the page
        if any_origin and not credentials:
            rq._add_header("Access-Control-Allow-Origin", "*")
        else:
            rq._add_header("Access-Control-Allow-Origin", origin)
            rq._add_header("Vary", "Origin")
        if credentials:
            rq._add_header("Access-Control-Allow-Credentials", "true")
        if not preflight:
            if expose:
                rq._add_header("Access-Control-Expose-Headers", expose)
            return
        rq._add_header("Access-Control-Allow-Methods", methods)
        asked = headers if headers is not None else rq.headers.get("access-control-request-headers")
        if asked:
            rq._add_header("Access-Control-Allow-Headers", asked)
        if max_age:
            rq._add_header("Access-Control-Max-Age", str(max_age))
        await rq.w(b"")  # answered: routing is skipped, 204 without a body

    allowed.append((prefix, "*" if any_origin else origins))
    before_request(hook)
    return hook
