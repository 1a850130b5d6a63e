# URL parameters: '/led/<int:pin>' -> rq.params == {'pin': 5}.
# Loaded only when a route has a '<' in its path. Patterns are split once at
# registration; a request is matched segment by segment, without re.
try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

_STR = const(0)  # one non-empty segment (the default)
_INT = const(1)  # one segment of digits, optionally signed: an int
_PATH = const(2)  # the rest of the path, slashes included (last only)
_KINDS = {"str": _STR, "string": _STR, "int": _INT, "path": _PATH}
_NONE = {}  # rq.params of a request no parameter route answered


def compile_path(path):
    # '/led/<int:pin>' -> ['', 'led', ('pin', _INT)]; ValueError when malformed.
    pattern = path.split("/")
    last = len(pattern) - 1
    for i, seg in enumerate(pattern):
        if "<" not in seg and ">" not in seg:
            continue
        if seg[:1] != "<" or seg[-1:] != ">" or seg.count("<") != 1:
            raise ValueError("a <parameter> must fill a whole path segment: " + path)
        name = seg[1:-1]
        kind = _STR
        j = name.find(":")
        if j >= 0:
            kind = _KINDS.get(name[:j])
            if kind is None:
                raise ValueError("unknown converter %r in %s" % (name[:j], path))
            name = name[j + 1 :]
        if not name:
            raise ValueError("a <parameter> needs a name: " + path)
        if kind == _PATH and i != last:
            raise ValueError("<path:...> must be the last segment: " + path)
        pattern[i] = (name, kind)
    return pattern


def match(pattern, parts):
    # parts: the request path split on '/'. The parameters as a dict, or None.
    n = len(pattern)
    if len(parts) != n and not (len(parts) > n and isinstance(pattern[-1], tuple) and pattern[-1][1] == _PATH):
        return None
    values = None
    for i in range(n):
        seg = pattern[i]
        part = parts[i]
        if isinstance(seg, str):
            if seg != part:
                return None
            continue
        name, kind = seg
        if kind == _PATH:
            part = "/".join(parts[i:]) if len(parts) > n else part
            if not part:
                return None
        elif not part:
            return None
        elif kind == _INT:
            digits = part[1:] if part[0] == "-" else part
            if not digits or not digits.isdigit() or len(digits) > 18:
                return None
            try:
                part = int(part)
            except ValueError:  # CPython: non-ASCII digits such as '²'
                return None
        if values is None:
            values = {}
        values[name] = part
    return values


def route(path, method, handler):
    # router.route() for a path with <parameters>
    from .router import _exact

    _exact.setdefault("<", []).append((compile_path(path), method, handler))


async def dispatch(rq, allow):
    # The routes with parameters, for router.dispatch: True once one answered,
    # else the Allow list so far (methods of matching routes).
    from .router import _exact, _try

    method = rq.method
    head = method == "HEAD"
    parts = rq.path.split("/")
    for pattern, m, handler in _exact["<"]:
        values = match(pattern, parts)
        if values is None:
            continue
        if m == method or (head and m == "GET"):
            rq.params = values
            if await _try(rq, handler):
                return True
            rq.params = _NONE  # passed with Http404: not for the next route
        else:
            allow = m if allow is None else allow + ", " + m
    return allow
