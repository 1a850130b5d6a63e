# Compiles Jinja-style templates into Python modules, ahead of time (on a PC
# with `make templates`, or on the board): the modules can be frozen or
# mpy-cross'ed, and template.py streams their output. Runs on CPython and
# MicroPython (no `re`).
#
#   {{ expr }}  {{ expr|filter }}  {% if %}{% elif %}{% else %}{% endif %}
#   {% for x in xs %}{% endfor %}  {% set x = expr %}  {% include "a.html" %}
#   {% extends "base.html" %}  {% block name %}{% endblock %}  {# comment #}
#   {%- and -%} (and {{- -}}) strip the whitespace before / after the tag.
# Expressions are Python (and true/false/none); names come from the
# variables given to render(), else builtins, else None.
import os

_KEYWORDS = (
    "and or not in is if else for lambda None True False await async yield"
    " None def class return from import as with while del pass break continue"
).split()
_CONSTS = {"true": "True", "false": "False", "none": "None"}
# filter -> Python format of the value (%s) and arguments (%a)
_FILTERS = {
    "e": None,
    "escape": None,
    "safe": None,
    "upper": "str(%s).upper()",
    "lower": "str(%s).lower()",
    "title": "str(%s).title()",
    "capitalize": "str(%s).capitalize()",
    "trim": "str(%s).strip()",
    "length": "len(%s)",
    "count": "len(%s)",
    "string": "str(%s)",
    "int": "int(%s)",
    "float": "float(%s)",
    "abs": "abs(%s)",
    "default": "_t.default(%s, %a)",
    "join": "_t.join(%s, %a)",
    "round": "round(%s, %a)",
}


class TemplateError(Exception):
    pass


def _tokens(src, name):
    # [(kind, text, line)]: kind 'text', 'expr' ({{ }}), 'stmt' ({% %}).
    out = []
    i = 0
    strip_next = False
    while True:
        j = -1
        for opener in ("{{", "{%", "{#"):
            k = src.find(opener, i)
            if k >= 0 and (j < 0 or k < j):
                j = k
        text = src[i:] if j < 0 else src[i:j]
        if strip_next:
            text = text.lstrip()
        if j < 0:
            out.append(("text", text, 0))
            return out
        line = src.count("\n", 0, j) + 1
        kind = src[j + 1]
        close = "}}" if kind == "{" else kind + "}"
        k = src.find(close, j + 2)
        if k < 0:
            raise TemplateError("%s:%d: %s{ not closed" % (name, line, kind))
        body = src[j + 2 : k]
        if body.startswith("-"):
            text = text.rstrip()
            body = body[1:]
        strip_next = body.endswith("-")
        if strip_next:
            body = body[:-1]
        out.append(("text", text, line))
        if kind != "#":
            out.append(("expr" if kind == "{" else "stmt", body.strip(), line))
        i = k + 2


def _scan(expr, names):
    # expr with true/false/none as Python; adds the free-looking names to names.
    out = []
    i = 0
    n = len(expr)
    while i < n:
        c = expr[i]
        if c == '"' or c == "'":
            j = i + 1
            while j < n and expr[j] != c:
                j += 2 if expr[j] == "\\" else 1
            out.append(expr[i : j + 1])
            i = j + 1
        elif c.isalpha() or c == "_":
            j = i
            while j < n and (expr[j].isalpha() or expr[j].isdigit() or expr[j] == "_"):
                j += 1
            word = expr[i:j]
            before = "".join(out).rstrip()
            if before.endswith("."):  # an attribute
                out.append(word)
            elif word in _CONSTS:
                out.append(_CONSTS[word])
            else:
                if word not in _KEYWORDS:
                    names.append(word)
                out.append(word)
            i = j
        elif c.isdigit():
            j = i
            while j < n and (expr[j].isalpha() or expr[j].isdigit() or expr[j] in "._"):
                j += 1
            out.append(expr[i:j])
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _split(expr, sep):
    # expr split at sep outside strings and brackets.
    parts = []
    depth = 0
    quote = None
    start = 0
    i = 0
    while i < len(expr):
        c = expr[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == sep and depth == 0:
            parts.append(expr[start:i])
            start = i + 1
        i += 1
    parts.append(expr[start:])
    return parts


class _Compiler:
    def __init__(self, name):
        self.name = name
        self.lines = []  # the module's functions
        self.imports = []  # (alias, template name)
        self.blocks = []  # block names defined here
        self.extends = None

    def fail(self, line, msg):
        raise TemplateError("%s:%d: %s" % (self.name, line, msg))

    def module(self, other, line):
        # the alias of another template's module, imported relatively
        if not (len(other) > 1 and other[0] == other[-1] and other[0] in "\"'"):
            self.fail(line, "a template name is a quoted string: %s" % other)
        other = other[1:-1]
        for alias, seen in self.imports:
            if seen == other:
                return alias
        alias = "_m%d" % len(self.imports)
        self.imports.append((alias, other))
        return alias

    def expr(self, text, line, names):
        parts = _split(text, "|")
        code = _scan(parts[0].strip(), names)
        if not code:
            self.fail(line, "empty expression")
        raw = False
        for f in parts[1:]:
            f = f.strip()
            args = ""
            if "(" in f and f.endswith(")"):
                f, args = f[: f.index("(")].strip(), f[f.index("(") + 1 : -1]
            if f not in _FILTERS:
                self.fail(line, "unknown filter %r (known: %s)" % (f, ", ".join(sorted(_FILTERS))))
            if f == "safe":
                raw = True
            elif _FILTERS[f]:
                fmt = _FILTERS[f]
                if "%a" in fmt:
                    a = _scan(args, names) if args else ('""' if f in ("default", "join") else "0")
                    code = fmt.replace("%s", code).replace("%a", a)
                else:
                    code = fmt % code
        return code, raw

    def function(self, header, tokens, pos, end_tags, top, line=0):
        # Compiles tokens from pos into the function `header`; returns the
        # position after it and the tag that ended it. top: the template's
        # body (in a template that extends another, only its blocks count).
        body = []
        names = []
        pos, tag = self.suite(tokens, pos, end_tags, body, names, 1, [], top and self.extends is not None, line)
        fn = [header]
        seen = set()
        for n in names:
            if n not in seen and not n.startswith("_"):
                seen.add(n)
                fn.append("    %s = _t.lookup(_v, %r)" % (n, n))
        fn.extend(body)
        if len(fn) == 1:
            fn.append("    pass")
        self.lines.append("\n".join(fn))
        return pos, tag

    def suite(self, tokens, pos, end_tags, out, names, depth, scope, skip, opened=0):
        # Statements until one of end_tags (a word); returns (pos after it, tag
        # text). skip: outside the blocks of a template that extends another.
        pad = "    " * depth
        start = len(out)
        while pos < len(tokens):
            kind, text, line = tokens[pos]
            pos += 1
            if kind == "text":
                if text and not skip:
                    out.append("%sawait _w(%r)" % (pad, text.encode()))
                continue
            if skip and not (kind == "stmt" and text.split(None, 1)[0] in ("block", "extends")):
                if kind == "stmt" and text.split(None, 1)[0] not in ("set",):
                    self.fail(line, "in a template that extends another, only blocks count: {%% %s %%}" % text)
                continue
            if kind == "expr":
                code, raw = self.expr(text, line, names)
                out.append("%sawait _w(%s(%s))" % (pad, "str" if raw else "_t.escape", code))
                continue
            word = text.split(None, 1)[0] if text else ""
            rest = text[len(word) :].strip()
            if word in end_tags:
                if len(out) == start:
                    out.append(pad + "pass")
                return pos, text
            if word == "if":
                out.append("%sif %s:" % (pad, self.expr(rest, line, names)[0]))
                while True:
                    pos, tag = self.suite(tokens, pos, ("elif", "else", "endif"), out, names, depth + 1, scope, skip, line)
                    w = tag.split(None, 1)[0]
                    if w == "endif":
                        break
                    if w == "elif":
                        out.append("%selif %s:" % (pad, self.expr(tag[4:].strip(), line, names)[0]))
                    else:
                        out.append(pad + "else:")
                        pos, tag = self.suite(tokens, pos, ("endif",), out, names, depth + 1, scope, skip, line)
                        break
            elif word == "for":
                target, sep, source = rest.partition(" in ")
                if not sep:
                    self.fail(line, "for needs 'in': {% for x in items %}")
                target = target.strip()
                local = [t.strip() for t in target.strip("()").split(",") if t.strip()]
                out.append("%sfor %s in %s:" % (pad, _scan(target, []), self.expr(source, line, names)[0]))
                pos, tag = self.suite(tokens, pos, ("endfor", "else"), out, names, depth + 1, scope + local, skip, line)
                if tag.split(None, 1)[0] == "else":
                    self.fail(line, "{% for %}...{% else %} is not supported: use {% if items %}")
            elif word == "set":
                target, sep, value = rest.partition("=")
                if not sep:
                    self.fail(line, "set needs '=': {% set x = 1 %}")
                out.append("%s%s = %s" % (pad, target.strip(), self.expr(value, line, names)[0]))
                scope = scope + [target.strip()]
            elif word == "include":
                alias = self.module(rest, line)
                v = "_v"
                if scope:
                    v = "_t.scope(_v, %s)" % ", ".join("%s=%s" % (s, s) for s in scope)
                out.append("%sawait %s._render(_w, %s, {})" % (pad, alias, v))
            elif word == "extends":
                if not skip or depth != 1 or self.module(rest, line) != self.extends:
                    self.fail(line, "{% extends %} comes once, outside other tags")
            elif word == "block":
                bname = rest.split()[0] if rest else ""
                if not bname or bname[0].isdigit() or [c for c in bname if not (c.isalpha() or c.isdigit() or c == "_")]:
                    self.fail(line, "block needs a name")
                if bname in self.blocks:
                    self.fail(line, "block %s defined twice" % bname)
                self.blocks.append(bname)
                pos, tag = self.function(
                    "async def _block_%s(_w, _v, _b):" % bname, tokens, pos, ("endblock",), False, line
                )
                if not skip:
                    out.append("%sawait _b.get(%r, _block_%s)(_w, _v, _b)" % (pad, bname, bname))
            elif word.startswith("end") or word in ("elif", "else"):
                want = [t for t in end_tags if t.startswith("end")]
                self.fail(line, "{%% %s %%} where %s" % (word, "{%% %s %%} was expected" % want[0] if want else "nothing was open"))
            else:
                self.fail(line, "unknown tag {%% %s %%}" % word)
        if end_tags:
            end = [t for t in end_tags if t.startswith("end")][0]
            self.fail(opened, "missing {%% %s %%} for this line's tag" % end)
        return pos, ""


def compile_template(src, name="template"):
    # The Python source of the module for template text src.
    c = _Compiler(name)
    if src.endswith("\n"):  # as Jinja does: a file's last newline is not part of the template
        src = src[:-2] if src.endswith("\r\n") else src[:-1]
    tokens = _tokens(src, name)
    for kind, text, line in tokens:
        if kind == "stmt" and text.split(None, 1)[0] == "extends":
            c.extends = c.module(text[7:].strip(), line)
    c.function("async def _body(_w, _v, _b):", tokens, 0, (), True)
    head = [
        "# Compiled from %s by aiowebserver.template_compile: edit the template, not this file." % name,
        "import aiowebserver.template as _t",
    ]
    for alias, other in c.imports:
        head.append("from . import %s as %s" % (module_name(other), alias))
    tail = ["BLOCKS = {%s}" % ", ".join("%r: _block_%s" % (b, b) for b in c.blocks), ""]
    if c.extends:
        tail += [
            "async def _render(_w, _v, _b):",
            "    b = dict(BLOCKS)",
            "    b.update(_b)  # the blocks of a template extending this one win",
            "    await %s._render(_w, _v, b)" % c.extends,
        ]
    else:
        tail.append("_render = _body")
    tail += [
        "",
        "",
        "async def render(rq, **v):",
        "    await _t.stream(rq, _render, v)",
        "",
    ]
    return "\n".join(head) + "\n\n\n" + "\n\n\n".join(c.lines) + "\n\n\n" + "\n".join(tail)


def module_name(name):
    return name.replace("/", "_").replace(".", "_").replace("-", "_")


def _walk(top, rel=""):
    for entry in sorted(os.listdir(top + ("/" + rel if rel else ""))):
        path = rel + "/" + entry if rel else entry
        full = top + "/" + path
        if os.stat(full)[0] & 0x4000:  # a directory
            for p in _walk(top, path):
                yield p
        elif not entry.endswith((".py", ".mpy", ".pyc")) and not entry.startswith("."):
            yield path


def compile_dir(src, out=None, force=False):
    # Compiles every template under src (any file but .py) into a module of
    # package out (default: src itself, which gets an __init__.py); names
    # are paths relative to src ('parts/row.html' -> parts_row_html.py).
    # Skips a template older than its module. Returns the modules written.
    out = out or src
    path = ""
    for part in out.split("/"):  # os.makedirs, which MicroPython lacks
        path = path + "/" + part if path or out.startswith("/") else part
        try:
            os.mkdir(path)
        except OSError:
            pass
    init = out + "/__init__.py"
    try:
        os.stat(init)
    except OSError:
        with open(init, "w") as f:
            f.write("# Templates compiled by aiowebserver.template_compile.\n")
    written = []
    for path in _walk(src):
        target = out + "/" + module_name(path) + ".py"
        try:
            if not force and os.stat(target)[8] >= os.stat(src + "/" + path)[8]:
                continue
        except OSError:
            pass
        with open(src + "/" + path) as f:
            code = compile_template(f.read(), path)
        with open(target, "w") as f:
            f.write(code)
        written.append(target)
    return written


def main(argv):
    # python -m aiowebserver.template_compile DIR [DIR...]
    if not argv:
        print("usage: template_compile DIR [DIR...]  (compiles each DIR's templates in place)")
        return 2
    for d in argv:
        for path in compile_dir(d.rstrip("/")):
            print("compiled", path)
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
