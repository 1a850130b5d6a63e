# multipart/form-data as a stream: `async for part in rq.parts():`.
# Loaded on first use. The body passes through one fixed buffer, so a
# 1 MB upload needs no more RAM than a 1 KB one; web.limits.max_body caps it.
import os
import sys
from .http import HttpError

try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

_DATA = const(1024)  # bytes of part data held at once
_MAX_BOUNDARY = const(70)  # RFC 2046 5.1.1
_MPY = sys.implementation.name == "micropython"


def _boundary(content_type):
    # The boundary parameter of a multipart/form-data Content-Type, or 400.
    if content_type is None:
        raise HttpError(400)
    params = _header_params(content_type)
    if params.get("") != "multipart/form-data":
        raise HttpError(415)
    b = params.get("boundary")
    if not b or len(b) > _MAX_BOUNDARY or b[-1] == " ":
        raise HttpError(400)
    try:
        return b.encode()
    except UnicodeError:
        raise HttpError(400)


def _header_params(value):
    # 'form-data; name="a"; filename="x;y.txt"' -> {'': 'form-data', 'name': 'a', 'filename': 'x;y.txt'}
    result = {}
    i = value.find(";")
    result[""] = (value if i < 0 else value[:i]).strip().lower()
    n = len(value)
    while 0 <= i < n:
        i += 1
        j = value.find("=", i)
        if j < 0:
            break
        key = value[i:j].strip().lower()
        i = j + 1
        while i < n and value[i] == " ":
            i += 1
        if i < n and value[i] == '"':
            # quoted-string, with backslash escapes
            out = []
            i += 1
            while i < n and value[i] != '"':
                if value[i] == "\\" and i + 1 < n:
                    i += 1
                out.append(value[i])
                i += 1
            result[key] = "".join(out)
            i = value.find(";", i)
        else:
            j = value.find(";", i)
            result[key] = (value[i:] if j < 0 else value[i:j]).strip()
            i = j
    return result


class Part:
    # One field or file of the form. Read it before moving to the next part;
    # what is left unread is skipped.
    def __init__(self, reader, headers):
        self._reader = reader
        self.headers = headers
        params = _header_params(headers.get("content-disposition", ""))
        self.name = params.get("name")
        self.filename = params.get("filename")
        self.content_type = headers.get("content-type")

    async def read(self, n=-1):
        # Up to n bytes of this part (b'' at its end); n=-1: all of it.
        r = self._reader
        if r._part is not self:
            return b""
        if n >= 0:
            k = await r._available(n)
            if k == 0:
                return b""
            data = bytes(r._mv[r._start : r._start + k])
            r._start += k
            return data
        chunks = []
        while True:
            k = await r._available(_DATA)
            if k == 0:
                return b"".join(chunks)
            chunks.append(bytes(r._mv[r._start : r._start + k]))
            r._start += k

    async def save(self, path, max_size=None):
        # Writes the rest of this part to path through a temporary file
        # (path + '.part'), renamed at the end: an upload that fails (over
        # max_size -> 413, over web.limits.max_body -> 413, client gone)
        # leaves no file behind, and an older file at path stays intact.
        r = self._reader
        if r._part is not self:
            raise ValueError("this part was already read")
        tmp = path + ".part"
        size = 0
        f = open(tmp, "wb")
        try:
            while True:
                k = await r._available(_DATA)
                if k == 0:
                    break
                size += k
                if max_size is not None and size > max_size:
                    raise HttpError(413)
                f.write(r._mv[r._start : r._start + k])
                r._start += k
            f.close()
            f = None
            try:
                os.rename(tmp, path)
            except OSError:  # FAT cannot rename over an existing file
                os.remove(path)
                os.rename(tmp, path)
        except BaseException:
            if f is not None:
                f.close()
            try:
                os.remove(tmp)
            except OSError:
                pass
            raise
        return size


class Parts:
    # The async iterator rq.parts() returns; it owns the one buffer.
    def __init__(self, rq, boundary):
        self._rq = rq
        self._delim = b"\r\n--" + boundary
        s = rq._start
        k = rq._end - s  # bytes of the body in the head buffer already
        # A Content-Length body streams through the connection's own head
        # buffer, straight from the socket (_raw): no buffer to allocate (a
        # fragmented heap may have no 1 KB piece left) and no bytes per read.
        self._raw = k <= rq._left and rq._left > 0 and len(rq._buf) >= 512 and (s >= 2 or k == 0)
        if self._raw:
            self._buf = rq._buf
            self._mv = rq._mv
            rq._left -= k  # now Parts' bytes, not the head buffer's
            rq._total += k
            rq._start = rq._end = 0
            if k == 0:
                s = 2
        else:
            self._buf = bytearray(_DATA + len(self._delim) + 4)
            self._mv = memoryview(self._buf)
            s = 2
            k = 0
        # the body starts with '--boundary': a CRLF in front makes it a delimiter
        self._buf[s - 2 : s] = b"\r\n"
        self._start = s - 2
        self._end = s + k
        self._eof = False  # the request body is exhausted
        self._done = False  # the closing delimiter was seen
        self._part = None  # the part being read (None: before the first)
        self._in_data = True  # between delimiters: the preamble counts as data

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self._done:
            raise StopAsyncIteration
        # skip what is left of the current part (or the preamble)
        while True:
            k = await self._available(_DATA)
            if k == 0:
                break
            self._start += k
        # at a delimiter: consume it, then '--' (the end) or CRLF and headers
        self._start += len(self._delim)
        while self._end - self._start < 2:
            if not await self._more():
                raise HttpError(400)
        after = self._buf[self._start : self._start + 2]
        if after == b"--":
            self._done = True
            raise StopAsyncIteration
        if after != b"\r\n":
            raise HttpError(400)  # the boundary string went on: not our delimiter
        self._start += 2
        headers = await self._headers()
        self._in_data = True
        self._part = Part(self, headers)
        return self._part

    async def _more(self):
        # Reads more of the body into the buffer; False when none is left.
        if self._eof:
            return False
        buf = self._buf
        n = self._end - self._start
        if self._start:
            if n:
                # MicroPython copies overlapping slices with memmove
                part = self._mv[self._start : self._end]
                buf[:n] = part if _MPY else bytes(part)
            self._start = 0
            self._end = n
        room = len(buf) - self._end
        if room == 0:
            return False
        rq = self._rq
        if self._raw and not rq._expect:  # (r() sends the 100 Continue)
            k = await _read_into(rq, self._mv[self._end : self._end + (room if room < rq._left else rq._left)])
        else:
            data = await rq.r(room)
            k = len(data)
            self._mv[self._end : self._end + k] = data
        if not k:
            self._eof = True
            return False
        self._end += k
        return True

    async def _available(self, n):
        # Bytes of the current part that can be taken at _start (at most n),
        # reading more when needed; 0 once the part ends at a delimiter.
        if not self._in_data:
            return 0
        delim = self._delim
        while True:
            i = self._buf.find(delim, self._start, self._end)
            if i >= 0:
                k = i - self._start
                if k == 0:
                    self._in_data = False  # the delimiter is at _start
                    self._part = None
                return k if k < n else n
            # a delimiter may begin in the last len(delim)-1 bytes: keep them
            k = self._end - self._start - len(delim) + 1
            if k > 0:
                return k if k < n else n
            if not await self._more():
                raise HttpError(400)  # the body ended inside a part

    async def _headers(self):
        # The part's header lines up to the blank line, bounded by the buffer.
        while True:
            if self._buf[self._start : self._start + 2] == b"\r\n":
                self._start += 2
                return {}  # no headers at all
            i = self._buf.find(b"\r\n\r\n", self._start, self._end)
            if i >= 0:
                break
            if not await self._more():
                raise HttpError(400)  # part headers too long, or the body ended
        block = bytes(self._mv[self._start : i])
        self._start = i + 4
        headers = {}
        for line in block.split(b"\r\n"):
            j = line.find(b":")
            if j <= 0:
                raise HttpError(400)
            try:
                headers[line[:j].strip().decode().lower()] = line[j + 1 :].strip().decode()
            except UnicodeError:
                raise HttpError(400)
        return headers


async def _read_into(rq, mv):
    # Up to len(mv) bytes of a Content-Length body from the socket into mv.
    if not mv:
        return 0  # the body is all read
    rq._deadline = rq._body_deadline()
    if _MPY:
        k = None
        while k is None:
            k = await rq._reader.readinto(mv)
    else:
        data = await rq._reader.read(len(mv))
        k = len(data)
        mv[:k] = data
    rq._deadline = None
    if not k:
        rq._close = True
        raise OSError("client closed the connection mid-body")
    rq._left -= k
    rq._total += k
    return k


def parts(rq):
    # rq.parts(): the parts of a multipart/form-data body, in order.
    return Parts(rq, _boundary(rq.headers.get("content-type")))
