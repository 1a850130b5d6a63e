# The route table and matching: exact paths in a dict, prefixes in a list.
# `import aiowebserver` loads this module only: http (HttpError) is imported
# where a 405 or 500 is raised, so import + routes costs no more heap.


class Http404(Exception):
    # Raised by a handler: routing goes on to the next matching route.
    pass


# path -> list of (method, handler), in registration order
_exact = {}
# (prefix, method, handler), in registration order
_prefix = []
# Routes with <parameters> live in _exact["<"] (no request path is "<"): a
# list of (pattern, method, handler), matched by params.dispatch.


async def _default_not_found(rq):
    rq.return_status(404)
    rq.header_text()
    await rq.w("404 Not Found\n")


_not_found = [_default_not_found]  # [-1] answers: a mounted group appends its own (group.py)
_before = []  # async def hook(rq), run before routing
_after = []  # async def hook(rq), run after the handler
_errors = {}  # status -> async def h(rq); exception class -> async def h(rq, exc); None -> mounted groups' (group.py)


def before_request(hook):
    _before.append(hook)
    return hook


def after_request(hook):
    _after.append(hook)
    return hook


def errorhandler(key):
    def register(handler):
        _errors[key] = handler
        if key == 404:
            _not_found[0] = handler
        return handler

    return register


def route(method, path, wildcard=False, max_body=None):
    method = method.upper()
    if max_body is not None:  # this path's own body limit (an exact path)
        from .request import max_bodies

        max_bodies[path] = max_body

    def register(handler):
        if wildcard:
            _prefix.append((path, method, handler))
        elif "<" in path:
            from .params import route

            route(path, method, handler)
        else:
            _exact.setdefault(path, []).append((method, handler))
        return handler

    return register


def e404():
    def register(handler):
        _not_found[0] = handler
        return handler

    return register


async def _try(rq, handler):
    # True when the handler answered, False when it passed with Http404.
    try:
        await handler(rq)
        return True
    except Http404:
        if rq._started or rq._pending is not None:
            from .http import HttpError

            raise HttpError(500)
        return False


async def dispatch(rq, hooks=True):
    # The request to its handler; with the app's hooks, between the
    # before_request and after_request ones (hooks=False: the handler alone).
    if hooks and (_before or _after):
        for hook in _before:
            await hook(rq)
            if rq._started or rq._pending is not None:
                return  # the hook answered
        await dispatch(rq, False)
        if _after:
            rq._late_ok = True
            for hook in _after:
                await hook(rq)
        return
    method = rq.method
    path = rq.path
    head = method == "HEAD"
    allow = None
    for m, handler in _exact.get(path, ()):
        if m == method or (head and m == "GET"):
            try:  # _try() inlined: the hot path
                await handler(rq)
                return
            except Http404:
                if rq._started or rq._pending is not None:
                    from .http import HttpError

                    raise HttpError(500)
        else:
            allow = m if allow is None else allow + ", " + m
    if "<" in _exact:
        from .params import dispatch as by_params  # the <parameter> routes

        allow = await by_params(rq, allow)
        if allow is True:
            return  # answered
    for prefix, m, handler in _prefix:
        if path.startswith(prefix):
            if m == method or (head and m == "GET"):
                if await _try(rq, handler):
                    return
            else:
                allow = m if allow is None else allow + ", " + m
    if allow is not None:
        if "GET" in allow and "HEAD" not in allow:
            allow += ", HEAD"
        rq._allow = allow
        from .http import HttpError

        raise HttpError(405)
    rq._status = 404  # preset for the not-found handler, like errorhandler(404)'s
    await _not_found[-1](rq)
