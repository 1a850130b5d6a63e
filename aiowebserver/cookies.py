# Cookies: rq.cookies (parsed from the Cookie header on first use),
# rq.set_cookie(), rq.delete_cookie(). Loaded on first use.
#
# Values travel percent-encoded: set_cookie() encodes every byte that RFC 6265
# does not allow in a cookie value (space, '"', ',', ';', '\\', '%', non-ASCII,
# controls), and rq.cookies decodes %XX again, so any str round-trips; this is
# also what JavaScript's encodeURIComponent() produces.
from .http import unquote

# RFC 6265 cookie-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E, minus '%'
_BAD_VALUE = b' ",;\\%'
# RFC 9110 token characters besides letters and digits
_TOKEN = "!#$%&'*+-.^_`|~"


def _is_token(name):
    if not name:
        return False
    for c in name:
        if not (c.isalpha() or c.isdigit() or c in _TOKEN) or ord(c) > 126:
            return False
    return True


def parse(header):
    # 'a=1; b="x y"; c=%C3%A9' -> {'a': '1', 'b': 'x y', 'c': 'é'}.
    # Pieces without a name or '=' are skipped: a bad header never raises.
    cookies = {}
    for item in header.split(";"):
        i = item.find("=")
        if i <= 0:
            continue
        name = item[:i].strip()
        value = item[i + 1 :].strip()
        if not name:
            continue
        if len(value) > 1 and value[0] == '"' and value[-1] == '"':
            value = value[1:-1]
        if "%" in value:
            try:
                value = unquote(value.encode())
            except ValueError:  # not a valid escape: keep the value as sent
                pass
        if name not in cookies:  # RFC 6265 5.4: the most specific comes first
            cookies[name] = value
    return cookies


def get_cookies(rq):
    # rq.cookies: parsed once per request, then cached in rq._ext.
    ext = rq._ext
    if ext is None:
        ext = rq._ext = {}
    elif not isinstance(ext, dict):
        ext = {}
    cookies = ext.get("cookies")
    if cookies is None:
        header = rq.headers.get("cookie")
        cookies = ext["cookies"] = parse(header) if header else {}
    return cookies


def _encode(value):
    if not isinstance(value, (str, bytes)):
        value = str(value)  # numbers
    if isinstance(value, str):
        value = value.encode()
    out = None
    for i in range(len(value)):
        b = value[i]
        if b < 0x21 or b > 0x7E or b in _BAD_VALUE:
            if out is None:
                out = bytearray(value[:i])
            out.extend(b"%%%02X" % b)
        elif out is not None:
            out.append(b)
    return (value if out is None else bytes(out)).decode()


def set_cookie(rq, name, value, max_age=None, path="/", http_only=True, same_site="Lax", secure=False):
    # rq.set_cookie(): a Set-Cookie header; before the body, like rq.header().
    if not _is_token(name):
        raise ValueError("bad cookie name")
    if rq._started or (rq._pending is not None and not rq._late_ok):
        raise RuntimeError("set_cookie() must come before the body")
    parts = [name, "=", _encode(value)]
    if path:
        if ";" in path or "\r" in path or "\n" in path:
            raise ValueError("bad cookie path")
        parts.append("; Path=" + path)
    if max_age is not None:
        parts.append("; Max-Age=%d" % int(max_age))
        if max_age <= 0:
            parts.append("; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
    if http_only:
        parts.append("; HttpOnly")
    if same_site:
        if same_site not in ("Lax", "Strict", "None"):
            raise ValueError("same_site must be 'Lax', 'Strict', 'None' or None")
        if same_site == "None" and not secure:
            raise ValueError("browsers drop SameSite=None cookies without secure=True")
        parts.append("; SameSite=" + same_site)
    if secure:
        parts.append("; Secure")
    rq._add_header("Set-Cookie", "".join(parts))


def delete_cookie(rq, name, path="/"):
    # rq.delete_cookie(): tells the browser to forget the cookie at once.
    set_cookie(rq, name, "", max_age=0, path=path, http_only=False, same_site=None)
