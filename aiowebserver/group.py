# Route groups: routes defined in their own module, with their own hooks and
# error handlers, served under a prefix by web.mount(). Loaded on first use of
# web.Group or web.mount. Mounting registers the group's routes in the one
# route table with the prefix in front, so a request costs the same as for a
# route of the app; a group with hooks wraps each of its handlers once.
# Few functions and argument names: as .mpy each costs heap, and each new
# name a qstr (past 300 of them MicroPython adds a 3.6 KB table in one piece).
from .router import route, _errors, _not_found


class Group:
    # web.Group(): .route(), .before_request, .after_request, .errorhandler(),
    # .mount() like the app's; served once mounted with web.mount(prefix, group).
    def __init__(self):
        self._routes = []  # (method, path, wildcard, max_body, handler), or (prefix, group) mounted in it
        self._before = []
        self._after = []
        self._errors = {}
        self._at = []  # (prefix, before hooks, after hooks) where it is mounted

    def route(self, method, path, wildcard=False, max_body=None):
        def register(handler):
            r = (method, path, wildcard, max_body, handler)
            self._routes.append(r)
            for at in self._at:
                _add(at, r)
            return handler

        return register

    def before_request(self, hook):
        return _hook(self, hook, self._before)

    def after_request(self, hook):
        return _hook(self, hook, self._after)

    def errorhandler(self, key):
        return lambda handler: _hook(self, handler, key)

    def mount(self, prefix, group):
        # a group inside this one: its prefix comes after this one's
        r = (_prefix(prefix), _group(group))
        self._routes.append(r)
        for at in self._at:
            _mount(at[0] + r[0], r[1], at)


def _hook(group, hook, where):
    # a hook (where: its list) or an error handler (where: its key)
    if isinstance(where, list):
        if group._at:
            raise RuntimeError("add a group's hooks before mounting it")
        where.append(hook)
    else:
        group._errors[where] = hook
    return hook


def _prefix(prefix):
    if prefix[:1] != "/":
        raise ValueError("a mount prefix starts with '/': %r" % prefix)
    return prefix.rstrip("/")


def _group(group):
    # A Group, or a module's one Group that no other of its Groups mounts.
    if isinstance(group, Group):
        return group
    # (loops, not comprehensions: each of those is one more function in the heap)
    top = []
    inner = []
    for v in getattr(group, "__dict__", {}).values():
        if isinstance(v, Group):
            top.append(v)
            for r in v._routes:
                if len(r) == 2:
                    inner.append(r[1])
    for v in inner:
        if v in top:
            top.remove(v)
    if len(top) != 1:
        raise TypeError("mount() takes a web.Group, or a module with one top-level Group")
    return top[0]


def _add(at, r):
    # Route r of a group mounted at at = (prefix, before hooks, after hooks);
    # with hooks, its handler between them, as router.hooked runs the app's.
    method, path, wildcard, max_body, handler = r
    if at[1] or at[2]:
        async def hooked(rq):
            for hook in at[1]:
                await hook(rq)
                if rq._started or rq._pending is not None:
                    return  # the hook answered
            await r[4](rq)
            if at[2]:
                rq._late_ok = True
                for hook in at[2]:
                    await hook(rq)

        handler = hooked
    route(method, at[0] + path, wildcard, max_body)(handler)


async def _not_found_in_group(rq):
    # The not-found answer: a mounted group's errorhandler(404) for its paths,
    # else the app's.
    from .errors import handler_for  # (the app's errorhandler(404) is _not_found[0])

    await (handler_for(rq, 404) or _not_found[0])(rq)


def _mount(prefix, group, at=("", (), ())):
    # group served at prefix, inside the groups whose hooks at holds
    at = (prefix, list(at[1]) + group._before, group._after + list(at[2]))  # outer before hooks first, after last
    group._at.append(at)
    groups = _errors.get(None)  # its error handlers, also those it gets later
    if groups is None:
        groups = _errors[None] = []
        _not_found.append(_not_found_in_group)
    i = 0  # innermost (longest prefix) first
    while i < len(groups) and len(groups[i][0]) >= len(prefix):
        i += 1
    groups.insert(i, (prefix, prefix + "/", group._errors))
    for r in group._routes:
        if len(r) == 2:
            _mount(prefix + r[0], r[1], at)
        else:
            _add(at, r)


def mount(prefix, group):
    """Serve a web.Group (or the one a module defines) under prefix.

    web.mount('/api', api) serves api's route '/status' at '/api/status'; its
    before_request/after_request hooks run for its routes only (after the
    app's before hooks, before the app's after hooks); its error handlers
    answer errors of every request under the prefix, the app's the rest.
    """
    _mount(_prefix(prefix), _group(group))
