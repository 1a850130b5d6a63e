# Static files: serves a folder (default: examples/static/ next to this file)
# with a directory listing where a folder has no index.htm / index.html.
# .gz companions go out compressed to browsers (decompressed for the others),
# and ETags make a reload cost a 304. Guide: docs/static.md
#
#   make run EXAMPLE=static    (examples/static/ at http://127.0.0.1:8000/)
#   MICROPYPATH=.frozen:. .venv/bin/micropython examples/static.py FOLDER    (another folder)
#   then open http://127.0.0.1:8000/ (port 80 when it may bind it)
import os
import sys

import aiowebserver as web


def _default_folder():
    here = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
    return here + "/static"


ROOT = sys.argv[1] if len(sys.argv) > 1 else _default_folder()
_DIR = 0x4000
# the examples' shared light style
STYLE = (
    '<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,">'
    "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:0 auto;padding:.5em 1em;"
    "color:#223;background:#f4f6f8}h1{font-size:1.4em;margin:.4em 0}a{color:#145aa0}"
    "code,pre{font:.9em ui-monospace,monospace;background:#eef1f4;border-radius:4px;padding:.1em .3em}"
    "input,button{font:inherit;padding:.35em .6em;border:1px solid #b8c0cc;border-radius:6px}"
    "button{background:#145aa0;color:#fff;border-color:#145aa0;cursor:pointer}</style>"
)


def _escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _quote(s):
    # percent-encode a file name for a link (utf-8 bytes outside a safe set)
    out = []
    for b in s.encode():
        c = chr(b)
        if b < 128 and (c.isalpha() or c.isdigit() or c in "-._~"):
            out.append(c)
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def _size(n):
    for unit in ("B", "KB", "MB"):
        if n < 1024:
            return "%d %s" % (n, unit) if unit == "B" else "%.1f %s" % (n, unit)
        n /= 1024
    return "%.1f GB" % n


def _folder(path):
    # The folder a URL path names inside ROOT, or None (a file, missing, unsafe).
    parts = [p for p in path.split("/") if p]
    if "\\" in path or "." in parts or ".." in parts:
        return None
    full = "/".join([ROOT] + parts)
    try:
        return full if os.stat(full)[0] & 0xF000 == _DIR else None
    except OSError:
        return None


async def _listing(rq, path, folder):
    rq.header("Cache-Control", "no-cache")
    await rq.w(
        "<!doctype html><meta charset=utf-8><title>Index of %s</title>%s"
        "<style>td{padding:.2em 1em .2em 0}td.n{text-align:right}</style>"
        "<h1>Index of %s</h1><table>" % (_escape(path), STYLE, _escape(path)),
        drain=False,
    )
    if path != "/":
        await rq.w("<tr><td><a href='../'>../</a><td><td>", drain=False)
    for name in sorted(os.listdir(folder)):
        try:
            st = os.stat(folder + "/" + name)
        except OSError:
            continue  # e.g. a dangling symlink
        note = ""
        if st[0] & 0xF000 == _DIR:
            name += "/"
            size = "-"
        else:
            size = _size(st[6])
            if name.endswith(".gz"):
                name = name[:-3]  # served as the name without .gz
                note = " (gzip)"
        await rq.w(
            "<tr><td><a href='%s'>%s</a><td class=n>%s<td>%s"
            % (_quote(name[:-1]) + "/" if name[-1] == "/" else _quote(name), _escape(name), size, note),
            drain=False,
        )
    await rq.w("</table><p><small>aiowebserver</small>")


@web.route("GET", "/", wildcard=True)
async def files(rq):
    path = rq.path
    folder = _folder(path)
    if folder is not None and path[-1] != "/":
        # relative links inside the folder need the trailing slash
        await rq.redirect("/".join(_quote(p) for p in path.split("/")) + "/")
        return
    try:
        await rq.sendfile(path, ROOT)
    except web.HttpError as e:
        if e.status != 404 or folder is None:
            raise
        await _listing(rq, path, folder)  # a folder without an index page


web.run_forever()  # port 80, or 8000 where 80 is not allowed ($AIOWEBSERVER_PORT wins)
