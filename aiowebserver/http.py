# HTTP/1.1 wire format: parsing a request head, framing a response head.
# parse_head is a pure function of bytes (fuzzed on CPython in tests).
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


def parse_head(head, max_headers=_MAX_HEADERS):
    # head: bytes of the request line and header lines, without the blank line.
    # Returns (method, path, query, version, headers) or raises HttpError.
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
    headers = {}
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
        try:
            name = name.decode().lower()
            value = line[i + 1 :].strip().decode()
        except ValueError:
            raise HttpError(400)
        if name in headers:
            if name == "content-length" or name == "host" or name == "transfer-encoding":
                raise HttpError(400)  # duplicates open the door to request smuggling
            value = headers[name] + ", " + value
        headers[name] = value
    return method.decode(), path, query, version, headers


def content_length(headers, max_body):
    # Body length the request declares: 0 when none; HttpError on bad framing.
    te = headers.get("transfer-encoding")
    cl = headers.get("content-length")
    if te is not None:
        if cl is not None:
            raise HttpError(400)  # both: request smuggling
        if te.lower() == "chunked":
            return -1  # chunked body: decoded as it is read
        raise HttpError(501)
    if cl is None:
        return 0
    if not cl.encode().isdigit() or len(cl) > 15:  # ASCII digits only
        raise HttpError(400)
    n = int(cl)
    if n > max_body:
        raise HttpError(413)
    return n
