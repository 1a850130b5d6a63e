# Rendering templates compiled ahead of time by template_compile.py: a page
# is streamed through rq.w in pieces of at most _SIZE bytes, never built whole.
try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

_SIZE = const(512)  # bytes gathered per rq.w(): small pieces fit a fragmented heap
package = "templates"  # where web.render() looks for compiled templates


class Safe:
    # A value the template writes as is, unescaped: safe('<b>hi</b>').
    def __init__(self, s):
        self.s = s

    def __str__(self):
        return str(self.s)


safe = Safe


def escape(value):
    # HTML-escape str(value) (& < > " '); None is ''; a Safe value is written as is.
    if value is None:
        return ""
    if type(value) is Safe:
        return str(value.s)
    s = value if type(value) is str else str(value)
    if "&" in s:
        s = s.replace("&", "&amp;")
    if "<" in s:
        s = s.replace("<", "&lt;")
    if ">" in s:
        s = s.replace(">", "&gt;")
    if '"' in s:
        s = s.replace('"', "&quot;")
    if "'" in s:
        s = s.replace("'", "&#39;")
    return s


def lookup(v, name):
    # A template variable: the caller's value, else a builtin (len, range...), else None.
    if name in v:
        return v[name]
    import builtins

    return getattr(builtins, name, None)


def scope(v, **local):
    # The variables an {% include %} sees: the caller's and the loop's.
    d = dict(v)
    d.update(local)
    return d


def default(value, other):
    return other if value is None or value == "" else value


def join(items, sep=""):
    return sep.join(str(i) for i in items)


_spare = []  # buffers of finished renders, for the next one (a 1 KB piece is rare on a full heap)


class _Out:
    # Gathers small writes into one buffer and sends it with rq.w when full.
    def __init__(self, rq):
        self.rq = rq
        self.mv = _spare.pop() if _spare else memoryview(bytearray(_SIZE))
        self.n = 0
        self.sent = False

    async def w(self, data):
        if type(data) is str:
            data = data.encode()
        k = len(data)
        n = self.n
        if n + k > _SIZE:
            if n:
                await self.flush()
                n = 0
            if k > _SIZE:
                if not self.sent:
                    await self.flush()
                await self.rq.w(data)
                return
        self.mv[n : n + k] = data
        self.n = n + k

    async def flush(self, last=False):
        n = self.n
        self.n = 0
        if last and not self.sent:  # the whole page in one write, with a Content-Length
            await self.rq.w(bytes(self.mv[:n]))
            return
        if not self.sent:
            self.sent = True
            await self.rq.w(None)  # the head now: rq.w sends what follows at once (not held)
        if n:
            await self.rq.w(self.mv[:n])  # sent (or copied) before rq.w returns


async def stream(rq, body, v):
    # Runs a compiled template's body, writing through rq.w.
    out = _Out(rq)
    try:
        await body(out.w, v, {})
        await out.flush(True)
    finally:
        if len(_spare) < 2:
            _spare.append(out.mv)


def module_name(name):
    # 'parts/row.html' -> 'parts_row_html': the compiled module's name.
    return name.replace("/", "_").replace(".", "_").replace("-", "_")


async def render(rq, name, **v):
    # await web.render(rq, 'page.html', title='Hi'): the compiled template
    # `package`.page_html (made by `make templates`), streamed to the client.
    mod = __import__(package + "." + module_name(name), None, None, ["render"])
    await stream(rq, mod._render, v)
