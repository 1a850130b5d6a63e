# HTTP/1.1 wire format: parsing a request head, framing a response head.
# scan_head and header_dict are pure functions of bytes (fuzzed on CPython in tests).
try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

_MAX_HEADERS = const(32)


class HttpError(Exception):
    # Raised anywhere while serving a request: answered with this status when
    # nothing was sent yet (400, 404, 405, 408, 413, 414, 431, 500, 501, 503...);
    # reason, a line of text, follows the status in the default answer's body.
    def __init__(self, status, reason=None):
        super().__init__(status)
        self.status = status
        self.reason = reason


def status_line(status, text=None):
    if status == 200 and text is None:
        return b"HTTP/1.1 200 OK\r\n"
    if text is None:
        from .status import reason

        text = reason(status)
    return ("HTTP/1.1 %d %s\r\n" % (status, text)).encode()


def find_head_end(buf, start, end):
    # Index just past the blank line ending the head in buf[start:end], or -1.
    # Accepts CRLF and bare LF line ends.
    i = buf.find(b"\n\r\n", start, end)
    j = buf.find(b"\n\n", start, end)
    if j >= 0 and (i < 0 or j < i):
        return j + 2
    if i >= 0:
        return i + 3
    return -1


def unquote(b):
    # %XX decoding of bytes to utf-8 text; ValueError on a bad escape or utf-8.
    if b"%" not in b:
        return b.decode()
    parts = b.split(b"%")
    out = bytearray(parts[0])
    for p in parts[1:]:
        if len(p) < 2:
            raise ValueError("bad escape")
        out.append(int(p[:2], 16))  # ValueError on non-hex
        out.extend(p[2:])
    return bytes(out).decode()  # UnicodeError (a ValueError) on bad utf-8


_READ = b" host connection expect content-length transfer-encoding "


def scan_head(head, max_headers=_MAX_HEADERS):
    # head: bytes of the request line and header lines. Checks every line but
    # makes no str of a header: rq.headers is made from the head when a
    # handler asks (header_dict); each str made from request bytes costs a
    # qstr lookup (a scan of the interned names). Returns (method, path,
    # query, version, connection, expect, content-length, transfer-encoding),
    # the last four bytes or None (a repeated Connection or Expect: joined
    # with b", "), or raises HttpError.
    if head.count(b"\n") - 2 > max_headers:  # (request line, blank line): before any allocation
        raise HttpError(431)
    lines = head.split(b"\n")
    line = lines[0]
    if line[-1:] == b"\r":
        line = line[:-1]
    parts = line.split(b" ")
    if len(parts) != 3:
        raise HttpError(400)
    method, target, version = parts
    if version != b"HTTP/1.1" and version != b"HTTP/1.0":
        if version[:5] == b"HTTP/" and len(version) == 8 and version[5:6].isdigit():
            raise HttpError(505)
        raise HttpError(400)
    if not method or not method.isupper() or not method.isalpha():
        raise HttpError(400)
    if target[:1] != b"/":
        if target[:7] == b"http://" or target[:8] == b"https://":
            # absolute-form: keep the path only
            k = target.find(b"/", target.find(b"//") + 2)
            target = target[k:] if k > 0 else b"/"
        elif target == b"*" and method == b"OPTIONS":
            pass
        else:
            raise HttpError(400)
    if b"\0" in target or b"#" in target or b"\r" in target:
        raise HttpError(400)
    try:
        head.decode()  # every name and value is utf-8 (one lookup for them all)
        q = target.find(b"?")
        if q >= 0:
            query = target[q + 1 :].decode()
            path = unquote(target[:q])
        else:
            query = None
            path = unquote(target)
    except ValueError:  # UnicodeError is one
        raise HttpError(400)
    if "\0" in path:
        raise HttpError(400)
    conn = expect = cl = te = None
    host = False
    n = 0
    for line in lines[1:]:
        if line[-1:] == b"\r":
            line = line[:-1]
        if not line:
            continue
        n += 1
        if n > max_headers:
            raise HttpError(431)
        if line[0] in b" \t" or b"\r" in line or b"\0" in line:
            raise HttpError(400)  # obs-fold, bare CR, NUL
        i = line.find(b":")
        if i <= 0:
            raise HttpError(400)
        name = line[:i]
        if b" " in name or b"\t" in name:
            raise HttpError(400)
        if i == 4 or i == 6 or i == 10 or i == 14 or i == 17:  # the names the server reads
            x = _READ.find(name.lower())
            if x > 0 and _READ[x - 1] == 32 and _READ[x + i] == 32:  # a whole name
                if x == 1:  # Host; duplicates open the door to request smuggling
                    if host:
                        raise HttpError(400)
                    host = True
                else:
                    value = line[i + 1 :].strip()
                    if x == 6:
                        conn = value if conn is None else conn + b", " + value
                    elif x == 17:
                        expect = value if expect is None else expect + b", " + value
                    elif x == 24:
                        if cl is not None:
                            raise HttpError(400)
                        cl = value
                    else:
                        if te is not None:
                            raise HttpError(400)
                        te = value
    return "GET" if method == b"GET" else method.decode(), path, query, version, conn, expect, cl, te


def header_dict(head):
    # rq.headers of a head scan_head() accepted: lower-case names to values,
    # a repeated header's values joined with ", ".
    headers = {}
    for line in head.split(b"\n")[1:]:
        if line[-1:] == b"\r":
            line = line[:-1]
        if line:
            i = line.find(b":")
            name = line[:i].decode().lower()
            value = line[i + 1 :].strip().decode()
            if name in headers:
                value = headers[name] + ", " + value
            headers[name] = value
    return headers


def body_length(cl, te, max_body):
    # Body length a head declares (Content-Length and Transfer-Encoding as
    # bytes or None): 0 when none, -1 chunked; HttpError on bad framing.
    if te is not None:
        if cl is not None:
            raise HttpError(400)  # both: request smuggling
        if te.lower() == b"chunked":
            return -1  # chunked body: decoded as it is read
        raise HttpError(501)
    if cl is None:
        return 0
    if not cl.isdigit() or len(cl) > 15:  # ASCII digits only
        raise HttpError(400)
    n = int(cl)
    if n > max_body:
        raise HttpError(413)
    return n
