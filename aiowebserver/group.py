# Route groups: routes defined in their own module, with their own hooks and
# error handlers, served under a prefix by web.mount(). Loaded on first use of
# web.Group or web.mount. Mounting registers the group's routes in the one
# route table with the prefix in front, so a request costs the same as for a
# route of the app; a group with hooks wraps each of its handlers once.
from .router import route, _errors, _not_found


class Group:
    # web.Group(): .route(), .before_request, .after_request, .errorhandler(),
    # .mount() like the app's; served once mounted with web.mount(prefix, group).
    def __init__(self):
        self._routes = []  # (method, path, wildcard, max_body, handler)
        self._before = []
        self._after = []
        self._errors = {}
        self._groups = []  # (prefix, group) mounted in this one
        self._at = []  # (prefix, before hooks, after hooks) where it is mounted

    def route(self, method, path, wildcard=False, max_body=None):
        def register(handler):
            r = (method, path, wildcard, max_body, handler)
            self._routes.append(r)
            for prefix, before, after in self._at:
                _add(prefix, before, after, r)
            return handler

        return register

    def _hook(self, hooks, hook):
        if self._at:
            raise RuntimeError("add a group's hooks before mounting it")
        hooks.append(hook)
        return hook

    def before_request(self, hook):
        return self._hook(self._before, hook)

    def after_request(self, hook):
        return self._hook(self._after, hook)

    def errorhandler(self, key):
        def register(handler):
            self._errors[key] = handler
            return handler

        return register

    def mount(self, prefix, group):
        # a group inside this one: its prefix comes after this one's
        group = _group(group)
        self._groups.append((_prefix(prefix), group))
        for at, before, after in self._at:
            _mount(at + _prefix(prefix), group, before, after)


def _prefix(prefix):
    if prefix[:1] != "/":
        raise ValueError("a mount prefix starts with '/': %r" % prefix)
    return prefix.rstrip("/")


def _group(obj):
    # A Group, or a module's one Group that no other of its Groups mounts.
    if isinstance(obj, Group):
        return obj
    found = [v for v in getattr(obj, "__dict__", {}).values() if isinstance(v, Group)]
    inner = [g for v in found for _, g in v._groups]
    found = [v for v in found if v not in inner]
    if len(found) != 1:
        raise TypeError("mount() takes a web.Group, or a module with one top-level Group")
    return found[0]


def _wrap(handler, before, after):
    # The handler between its groups' hooks, as router.hooked runs the app's
    # (one function for both, with the hook lists as arguments, made
    # `import aiowebserver` + one route 100-200 B bigger: kept apart).
    async def hooked(rq):
        for hook in before:
            await hook(rq)
            if rq._started or rq._pending is not None:
                return  # the hook answered
        await handler(rq)
        if after:
            rq._late_ok = True
            for hook in after:
                await hook(rq)

    return hooked


def _add(prefix, before, after, r):
    method, path, wildcard, max_body, handler = r
    if before or after:
        handler = _wrap(handler, before, after)
    route(method, prefix + path, wildcard, max_body)(handler)


async def _not_found_in_group(rq):
    # The not-found answer: a mounted group's errorhandler(404) for its paths,
    # else the app's.
    from .errors import group_handler

    await (group_handler(rq, 404) or _not_found[0])(rq)


def _mount(prefix, group, outer_before=(), outer_after=()):
    before = list(outer_before) + group._before  # outer groups' first
    after = group._after + list(outer_after)  # inner groups' first
    group._at.append((prefix, before, after))
    groups = _errors.get(None)  # its error handlers, also those it gets later
    if groups is None:
        groups = _errors[None] = []
        _not_found.append(_not_found_in_group)
    groups.append((prefix, prefix + "/", group._errors))
    groups.sort(key=lambda g: -len(g[0]))  # innermost first
    for r in group._routes:
        _add(prefix, before, after, r)
    for sub_prefix, sub in group._groups:
        _mount(prefix + sub_prefix, sub, before, after)


def mount(prefix, group):
    """Serve a web.Group (or the one a module defines) under prefix.

    web.mount('/api', api) serves api's route '/status' at '/api/status'; its
    before_request/after_request hooks run for its routes only (after the
    app's before hooks, before the app's after hooks); its error handlers
    answer errors of every request under the prefix, the app's the rest.
    """
    _mount(_prefix(prefix), _group(group))
