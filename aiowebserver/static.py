# rq.sendfile: safe lookup inside a directory, content types, ETag/304,
# Last-Modified, ranges, .gz companions, streaming from one shared buffer.
# Loaded on the first rq.sendfile() call, never by `import aiowebserver`.
import asyncio
import gc
import os
import sys
from .http import HttpError
try:
    from time import ticks_ms, ticks_add
except ImportError:
    from .clock import ticks_ms, ticks_add

try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

try:
    import time

    _gmtime = time.gmtime
except (ImportError, AttributeError):
    _gmtime = None

_MPY = sys.implementation.name == "micropython"
# MicroPython's unix port can meet symlinks; it has no lstat/realpath (see _links_ok)
_POSIX_MPY = _MPY and hasattr(os, "VfsPosix")
_S_IFMT = const(0xF000)
_S_IFDIR = const(0x4000)
_S_IFREG = const(0x8000)

# One buffer and one lock for every file: a burst of downloads costs 2 KB, not 2 KB each.
try:
    _buf = bytearray(2048)
except MemoryError:  # a small, fragmented heap: slower, but it serves
    _buf = bytearray(512)
_CHUNK = len(_buf)
_mv = memoryview(_buf)
_lock = asyncio.Lock()

# Default Cache-Control: the browser keeps the file but asks again each time,
# and the ETag turns that into a cheap 304. rq.header('Cache-Control', ...) overrides.
CACHE_CONTROL = "no-cache"

# extension -> type, one constant string (frozen, it costs no RAM)
_TYPES = (
    "|html text/html|htm text/html|css text/css|js text/javascript|mjs text/javascript"
    "|json application/json|map application/json|webmanifest application/manifest+json"
    "|txt text/plain|md text/markdown|csv text/csv|xml application/xml|ics text/calendar"
    "|svg image/svg+xml|png image/png|jpg image/jpeg|jpeg image/jpeg|gif image/gif"
    "|webp image/webp|avif image/avif|ico image/x-icon|bmp image/bmp"
    "|wasm application/wasm|woff font/woff|woff2 font/woff2|ttf font/ttf|otf font/otf"
    "|mp3 audio/mpeg|wav audio/wav|ogg audio/ogg|oga audio/ogg|opus audio/ogg"
    "|m4a audio/mp4|aac audio/aac|flac audio/flac|mp4 video/mp4|m4v video/mp4"
    "|webm video/webm|ogv video/ogg|pdf application/pdf|zip application/zip"
    "|gz application/gzip|tar application/x-tar|bin application/octet-stream|"
)


def content_type(name, mimetypes=None):
    # The caller's dict (or forced str) first, then the table, then '*'.
    if isinstance(mimetypes, str):
        return mimetypes
    i = name.rfind(".")
    ext = name[i + 1 :].lower() if i > name.rfind("/") else ""
    if mimetypes:
        t = mimetypes.get(ext) or mimetypes.get("." + ext)
        if t:
            return t
    if ext:
        i = _TYPES.find("|" + ext + " ")
        if i >= 0:
            t = _TYPES[i + len(ext) + 2 : _TYPES.find("|", i + 1)]
            if t[:5] == "text/" or t[-4:] == "json" or t[-3:] == "xml":
                t += "; charset=utf-8"
            return t
    if mimetypes:
        t = mimetypes.get("*")
        if t:
            return t
    return "application/octet-stream"


def _clean(path):
    # The path's segments joined by '/', never leaving the directory;
    # HttpError(400) for what no honest client sends.
    if "\0" in path or "\\" in path:
        raise HttpError(400)
    parts = []
    for seg in path.split("/"):
        if not seg:
            continue  # '//' and a leading '/': still inside the directory
        if seg == "." or seg == "..":
            raise HttpError(400)
        for c in seg:
            if c < " " or c == "\x7f":
                raise HttpError(400)
        parts.append(seg)
    return "/".join(parts)


def _stat(p):
    try:
        return os.stat(p)
    except OSError:
        return None


def _links_ok(root, rel):
    # True when no segment of rel below root is a symlink (or anything but a
    # file or directory). MicroPython has no lstat: ilistdir's entry type is
    # the link's own (DT_LNK), and its inode is the link's, not the target's.
    if not _POSIX_MPY:
        return True
    d = root
    for name in rel.split("/"):
        ok = False
        for e in os.ilistdir(d):  # read to the end: that closes the directory
            if e[0] == name:
                t = e[1]
                if t == _S_IFDIR or t == _S_IFREG:
                    ok = True
                elif t == 0:  # file system without d_type: compare inodes
                    st = _stat(d + "/" + name)
                    ok = st is not None and e[2] != 0 and e[2] == st[1]
        if not ok:
            return False
        d = d + "/" + name
    return True


def _inside(root, full):
    # CPython: the real path (symlinks resolved) must stay below the root's.
    if _MPY:
        return True
    real_root = os.path.realpath(root)
    real = os.path.realpath(full)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def _find(root, rel):
    # (relative name of the file to open, stat, is_gz) or None.
    full = root + "/" + rel if rel else root
    st = _stat(full)
    if st is not None and st[0] & _S_IFMT == _S_IFDIR:
        for index in ("index.htm", "index.html"):
            found = _find(root, rel + "/" + index if rel else index)
            if found is not None:
                return found
        return None
    if st is None and rel:
        st = _stat(full + ".gz")
        if st is None:
            return None
        rel += ".gz"
        gz = True
    else:
        gz = False
    if st is None or st[0] & _S_IFMT != _S_IFREG:
        return None
    if not _links_ok(root, rel) or not _inside(root, root + "/" + rel):
        return None
    return rel, st, gz


def accepts_gzip(value):
    # Accept-Encoding with q-values: 'gzip;q=0' refuses, '*' stands for the rest.
    if not value:
        return False
    star = False
    for item in value.split(","):
        i = item.find(";")
        name = (item[:i] if i >= 0 else item).strip().lower()
        q = True
        if i >= 0:
            param = item[i + 1 :].strip().lower()
            if param[:2] == "q=":
                q = param[2:].strip().strip("0.") != ""  # q=0, q=0.0, q=0.000: no
        if name == "gzip" or name == "x-gzip":
            return q
        if name == "*":
            star = q
    return star


def _hash(s):
    # 22 bits, small-int arithmetic on every port
    h = 5381
    for c in s:
        h = (h * 33 + ord(c)) & 0x3FFFFF
    return h


def _matches(value, tag):
    # If-None-Match: '*', or a list of (possibly weak) tags; weak comparison.
    if value.strip() == "*":
        return True
    for item in value.split(","):
        item = item.strip()
        if item[:2] == "W/" or item[:2] == "w/":
            item = item[2:]
        if item == tag:
            return True
    return False


_DAYS = "MonTueWedThuFriSatSun"
_MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec"


def http_date(mtime):
    # IMF-fixdate of a modification time, or None when the clock cannot vouch
    # for it: gmtime() reads the port's own epoch (1970, or 2000 on some
    # boards), and a board without a set clock stamps its files near 2000.
    if _gmtime is None:
        return None
    try:
        t = _gmtime(mtime)
    except (OverflowError, ValueError, OSError):
        return None
    if t[0] < 2010:
        return None
    return "%s, %02d %s %d %02d:%02d:%02d GMT" % (
        _DAYS[t[6] * 3 : t[6] * 3 + 3], t[2], _MONTHS[t[1] * 3 - 3 : t[1] * 3], t[0], t[3], t[4], t[5],
    )


def parse_range(value, size):
    # 'bytes=a-b' | 'bytes=a-' | 'bytes=-n' -> (first, last); None: ignore the
    # header (malformed, several ranges); -1: unsatisfiable (416).
    if value[:6] != "bytes=" or "," in value:
        return None
    spec = value[6:].strip()
    i = spec.find("-")
    if i < 0:
        return None
    a = spec[:i].strip()
    b = spec[i + 1 :].strip()
    if (a and not a.isdigit()) or (b and not b.isdigit()) or len(a) > 15 or len(b) > 15:
        return None
    if not a:
        if not b:
            return None
        n = int(b)
        if n == 0 or size == 0:
            return -1
        return (size - n if n < size else 0), size - 1
    first = int(a)
    if b and int(b) < first:
        return None
    if first >= size:
        return -1
    last = int(b) if b else size - 1
    return first, (last if last < size else size - 1)


async def sendfile(rq, path, directory=None, mimetypes=None, timestamp=None):
    if rq._started or rq._pending is not None:
        raise RuntimeError("sendfile() must come before the body")
    root = directory.rstrip("/") or "/" if directory else "."
    found = _find(root, _clean(path))
    if found is None:
        raise HttpError(404)
    rel, st, gz = found
    full = root + "/" + rel
    gunzip = False
    if gz:
        accept = rq.headers.get("accept-encoding")
        gunzip = not accepts_gzip(accept)
        if gunzip and rq.method == "GET":
            async with _lock:
                with open(full, "rb") as f:
                    try:
                        src = _gunzip(f)
                        n = src.readinto(_mv)  # MicroPython allocates the 32 KB window here
                    except MemoryError:
                        src = None
                    if src is not None:
                        if _headers(rq, rel, st, gz, True, mimetypes, timestamp):
                            rq._writer.write(rq._head(None))
                            await _stream(rq, src, -1, n)
                        return
            gc.collect()
            if accept is not None:
                raise HttpError(503)  # refused gzip, and no room to decompress
            gunzip = False  # no Accept-Encoding: any coding is acceptable (RFC 9110 12.5.3)
    body = _headers(rq, rel, st, gz, gunzip, mimetypes, timestamp)
    if body:
        first, length = body
        async with _lock:
            with open(full, "rb") as f:
                if first:
                    f.seek(first)
                rq._writer.write(rq._head(None))
                await _stream(rq, f, length)


def _headers(rq, rel, st, gz, gunzip, mimetypes, timestamp):
    # Adds the response headers; returns (first byte, length) when a body
    # follows, None when rq._finish() completes the answer (304, 416, HEAD).
    headers = rq.headers
    add = rq._add_header
    size = st[6]
    if timestamp is None:
        tag = '"%x-%x' % (size, st[8])
    else:
        tag = '"%x-%x' % (_hash(str(timestamp)), _hash(rel))
    if gz:
        add("Vary", "Accept-Encoding")
        if not gunzip:
            add("Content-Encoding", "gzip")
            tag += "-gz"
    tag += '"'
    add("ETag", tag)
    modified = http_date(st[8])
    if modified is not None:
        add("Last-Modified", modified)
    for line in rq._hdrs:
        if line[:14].lower() == b"cache-control:":
            break
    else:
        add("Cache-Control", CACHE_CONTROL)
    method = rq.method
    if method == "GET" or method == "HEAD":
        inm = headers.get("if-none-match")
        if inm is not None:
            fresh = _matches(inm, tag)
        else:
            fresh = modified is not None and headers.get("if-modified-since") == modified
        if fresh:
            rq._status = 304
            return None
    if not rq._ctype:
        add("Content-Type", content_type(rel[:-3] if gz else rel, mimetypes))
    if gunzip:  # the length is not known: chunked, no ranges
        if method == "HEAD":
            rq._writer.write(rq._head(None))
            return None
        return 0, -1
    add("Accept-Ranges", "bytes")
    first = 0
    length = size
    rng = headers.get("range")
    if rng is not None and method == "GET":
        cond = headers.get("if-range")
        if cond is None or cond == tag or cond == modified:
            r = parse_range(rng, size)
            if r == -1:
                rq._status = 416
                add("Content-Range", "bytes */%d" % size)
                add("Content-Length", "0")
                return None
            if r is not None:
                first, last = r
                length = last - first + 1
                rq._status = 206
                add("Content-Range", "bytes %d-%d/%d" % (first, last, size))
    add("Content-Length", str(length))
    return None if method == "HEAD" else (first, length)


def _gunzip(f):
    # A readinto() source of the decompressed bytes.
    if _MPY:
        import deflate

        return deflate.DeflateIO(f, deflate.GZIP)
    import gzip

    return gzip.GzipFile(fileobj=f, mode="rb")


async def _stream(rq, src, left, n=0):
    # left bytes (-1: to the end) from src, one buffer at a time; n bytes of
    # the buffer are already filled. Writes and drains like rq.w, inlined:
    # a coroutine per chunk would cost a third of the throughput.
    writer = rq._writer
    chunked = rq._chunked
    timeout = rq._limits.write_timeout * 1000
    mv = _mv
    sent = 0
    count = 0
    while True:
        if n:
            data = mv if n == _CHUNK else mv[:n]
            if not _MPY:
                data = bytes(data)  # CPython's transport may keep what it is given
            if chunked:
                rq._send_body(data)
            else:
                writer.write(data)  # drain() below has sent it before the buffer is reused
                sent += n
            rq._deadline = ticks_add(ticks_ms(), timeout)
            await writer.drain()
            count += 1
            if not _MPY and not count & 7:
                await asyncio.sleep(0)  # CPython's drain() does not yield while its buffer is small
        if not left:
            break
        n = src.readinto(mv if left < 0 or left >= _CHUNK else mv[:left])
        if not n:
            break
        if left > 0:
            left -= n
    rq._deadline = None
    rq._sent += sent
