# The `rq` object handlers see. One per connection, reset for every request,
# and pooled for the next connection: serving allocates no request object.
# (Few module globals: up to 23 entries, the globals' table has 23 slots.)
from .http import HttpError, status_line, find_head_end, scan_head, header_dict, body_length
try:
    from time import ticks_ms, ticks_add, ticks_diff
except ImportError:  # CPython
    from .clock import ticks_ms, ticks_add, ticks_diff

try:
    from micropython import const

    _MPY = True
except ImportError:  # CPython
    const = lambda x: x  # noqa: E731
    _MPY = False

_SMALL = const(1024)  # below this, a chunk's frame and data go out in one write
_HTML = b"Content-Type: text/html; charset=utf-8\r\n"
_NO_PARAMS = {}
# exact path -> its own body limit instead of limits.max_body (route(..., max_body=N));
# here, not in router: `import aiowebserver` + routes stays as small as it was
max_bodies = {}
# rq attributes that live in other modules, loaded on first use, as
# " NAME=MODULE" (a str, not a dict: frozen, it stays in flash). rq.NAME is
# function NAME(rq, ...) of aiowebserver.MODULE, a method of Request from its
# first use on; if the module has a function get_NAME(rq), rq.NAME is its
# value instead.
_EXT = (
    " decode_postform_data=forms decode_postjson_data=forms decode_query_data=forms"
    " is_postform=forms is_postjson=forms redirect=status sendfile=static"
    " cookies=cookies set_cookie=cookies delete_cookie=cookies parts=multipart"
    " user=auth scheme=tls "
)


_date = [None, b"", None]  # ticks of the next look at the clock, the Date line, its second


def date_line():
    # b"Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n" (RFC 9110 IMF-fixdate), or b""
    # while the clock is unset (a board before NTP: year 2000). The clock is
    # read ten times a second at most: time() allocates a float on some ports.
    now = ticks_ms()
    d = _date
    if d[0] is None or ticks_diff(now, d[0]) >= 0:
        d[0] = ticks_add(now, 100)
        from time import time, gmtime  # (here: two module globals fewer)

        t = int(time())
        if t != d[2]:
            d[2] = t
            y, mo, md, h, mi, sec, wd = gmtime(t)[:7]
            names = "MonTueWedThuFriSatSunJanFebMarAprMayJunJulAugSepOctNovDec"  # days, then months
            d[1] = b"" if y < 2024 else (
                "Date: %s, %02d %s %d %02d:%02d:%02d GMT\r\n"
                % (names[wd * 3 : wd * 3 + 3], md, names[mo * 3 + 18 : mo * 3 + 21], y, h, mi, sec)
            ).encode()
    return d[1]


def load(name, limits):
    # aiowebserver.NAME, an optional part, imported on first use. As a .mpy
    # file (MicroPython) it takes up to twice its size in heap, and its names
    # may need a new qstr table (320 entries: 3.5 KB on a 64-bit port): it
    # loads only when min_free bytes stay free after three times its size,
    # else MemoryError (a 503 with Retry-After). A failed import keeps the
    # names it interned and that table for good, in the middle of the largest
    # free piece: 64k .mpy, static.py tried in 11 KB left 5 KB fewer for good.
    full = "aiowebserver." + name
    from sys import modules

    if _MPY and full not in modules and __file__.endswith(".mpy"):
        from gc import mem_free, collect
        from os import stat

        try:
            need = 3 * stat(__file__[:-11] + name + ".mpy")[6] + limits.min_free
        except OSError:
            need = 0
        if mem_free() < need:
            collect()
            if mem_free() < need:
                raise MemoryError
    return __import__(full, None, None, [name])


# What return_status() and header*() return: they act at once, and `await`
# on the result (as the API contract writes them) finishes immediately.
if _MPY:  # MicroPython's await is `yield from`: an empty tuple ends at once (no class in the heap)
    _DONE = ()
else:

    class _Done:
        def __await__(self):
            return iter(())

    _DONE = _Done()


def _nobody(rq):
    # HEAD, or a status without a body (1xx, 204, 304): no body goes out.
    # (A function, not a method: the Request class's table stays at 23 entries.)
    s = rq._status
    return rq.method == "HEAD" or s < 200 or s == 204 or s == 304


class Request:
    def __init__(self, buf, limits):
        # Made once per connection slot: server.py pools it with its buffer;
        # _fresh() readies it for the next connection.
        self._buf = buf
        self._mv = memoryview(buf)
        self._limits = limits
        self._reuse = True  # False once a stream (SSE, WebSocket) holds it
        self._hd = False  # True while rq.headers is an attribute
        self._fresh()

    def _fresh(self):
        # A new connection's state, without the last connection's objects.
        self._reader = None
        self._writer = None
        self._start = 0  # unconsumed received bytes are buf[_start:_end]
        self._end = 0
        self._deadline = None  # ticks at which the watchdog cancels _task
        self._task = None
        self._idle = False
        self._since = None  # ticks when the current head began (see server._evict)
        self._timed_out = False
        self._peer = None  # MicroPython: the client's address from accept()
        # every per-request attribute exists from the start: the instance's
        # attribute table is allocated once, at its final size (a table grown
        # at the first request leaves a hole in a small, fragmented heap)
        self._begin(None, None, None, None, b"", None, None)

    def __getattr__(self, name):
        if name == "headers":
            # a dict of str, made from the head's bytes on first use (not a
            # property: a class with one makes every attribute store look in
            # the class first); a handler that never looks makes no str of a
            # header. Then the request holds the dict, not the bytes.
            h = self.headers = header_dict(self._raw)
            self._raw = b""
            self._hd = True
            return h
        i = _EXT.find(" %s=" % name)
        if i < 0 or "=" in name:
            raise AttributeError(name)
        i += len(name) + 2
        mod = load(_EXT[i : _EXT.find(" ", i)], self._limits)
        getter = getattr(mod, "get_" + name, None)
        if getter is not None:
            return getter(self)
        setattr(Request, name, getattr(mod, name))  # found as a method from now on
        return getattr(self, name)

    # ---- the request ----

    async def _fill(self):
        # Read more bytes into the free end of the buffer, after compacting it.
        # Returns the count, 0 at EOF, -1 when the buffer is full.
        buf = self._buf
        if self._start:
            n = self._end - self._start
            if n:
                # MicroPython copies overlapping slices with memmove; CPython
                # does not promise to, so it copies through bytes
                part = self._mv[self._start : self._end]
                buf[:n] = part if _MPY else bytes(part)
            self._start = 0
            self._end = n
        end = self._end
        if end == len(buf):
            return -1
        if _MPY:
            n = None
            while n is None:
                n = await self._reader.readinto(self._mv[end:])
        else:
            data = await self._reader.read(len(buf) - end)
            n = len(data)
            self._mv[end : end + n] = data
        self._end = end + n
        return n

    async def _read_head(self):
        # Parse the next request head; False on a clean close before it starts.
        buf = self._buf
        scan = self._start
        while True:
            # RFC 9112 2.2: ignore empty lines before a request line
            while self._start < self._end and buf[self._start] in b"\r\n":
                self._start += 1
            if self._end > self._start:
                i = find_head_end(buf, max(scan, self._start), self._end)
                if i >= 0:
                    break
            got = self._end - self._start
            if got or not _MPY:
                n = await self._fill()  # moves the partial head to buf[0:got]
            else:  # _fill() inlined for the usual case, an empty buffer: the hot path
                self._start = self._end = 0
                n = None
                while n is None:
                    n = await self._reader.readinto(self._mv)
                self._end = n
            if n == -1:
                # full: a request line that does not fit is a URI too long
                raise HttpError(414 if buf.find(b"\n", 0, self._end) < 0 else 431)
            if n == 0:
                if got == 0:
                    return False
                raise HttpError(400)
            self._idle = False
            scan = got - 2 if got > 2 else 0
        head = bytes(self._mv[self._start : i])
        self._start = i
        lim = self._limits
        method, path, query, version, conn, expect, cl, te = scan_head(head, lim.max_headers)
        self._begin(method, path, query, version, head, conn, expect)
        # after _begin: a bad or too large body is answered like any request
        # error (through the app's errorhandler), then the connection closes
        self._close = True
        self._left = body_length(cl, te, max_bodies.get(path, lim.max_body) if max_bodies else lim.max_body)
        self._close = self._http10 or self._close_asked
        if self._expect and self._left == 0:
            self._expect = False
        return True

    def _begin(self, method, path, query, version, head, conn, expect):
        self.method = method
        self.path = path
        self.query = query
        if self._hd:  # the last request's rq.headers
            self.headers = None  # (a deleted attribute's slot keeps its value for the collector)
            del self.headers
            self._hd = False
        self._raw = head  # the head's bytes: rq.headers is made from them when asked for
        self.params = _NO_PARAMS
        self._left = 0  # body bytes still unread; -1: chunked
        self._chunk = 0  # bytes left in the current chunk of a chunked body
        self._total = 0  # body bytes read so far (chunked: declared in chunk heads)
        self._body_end = None  # ticks by which the whole body must be in
        self._body_t0 = None  # ticks when the body began to be read
        self._http10 = version == b"HTTP/1.0"
        self._close_asked = conn is not None and b"close" in conn.lower()
        self._close = self._http10 or self._close_asked
        self._expect = expect is not None
        self._status = 200
        self._reason = None
        self._hdrs = None
        self._user_hdr = False
        self._ctype = False
        self._clen = None
        self._sent = 0
        self._pending = None
        self._started = False
        self._chunked = False
        self._allow = None
        self._late_ok = False  # after_request hooks may add headers to a held-back body
        self._ext = None  # per-request state of optional features (cookies...)
        if expect is not None and expect.lower() != b"100-continue":
            self._close = True
            raise HttpError(417)

    # ---- the request body ----

    async def r(self, n):
        # Up to n bytes of the request body; b'' at its end.
        if self._left == 0 or n <= 0:
            return b""
        if self._expect:
            self._expect = False
            if not self._started:
                self._writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                await self._drain()
        if self._left < 0:
            from .body import read_chunked

            return await read_chunked(self, n)
        if n > self._left:
            n = self._left
        k = self._end - self._start
        if k:  # _take() inlined: one coroutine less per piece, less garbage
            if k > n:
                k = n
            data = bytes(self._mv[self._start : self._start + k])
            self._start += k
        else:
            data = await self._take(n)
        self._left -= len(data)
        self._total += len(data)
        return data

    def _body_deadline(self):
        # body_timeout without progress; and the whole body within body_timeout
        # plus a second per KB, so a trickle cannot hold a connection for long
        now = ticks_ms()
        lim = self._limits
        if self._body_end is None:
            self._body_t0 = now
            n = self._left if self._left > 0 else lim.max_body
            self._body_end = ticks_add(now, (lim.body_timeout + (n >> 10)) * 1000)
        d = ticks_add(now, lim.body_timeout * 1000)
        return d if ticks_diff(self._body_end, d) > 0 else self._body_end

    async def _take(self, n):
        # Up to n bytes from the buffer, else from the socket; EOF is an error.
        k = self._end - self._start
        if k:
            if k > n:
                k = n
            data = bytes(self._mv[self._start : self._start + k])
            self._start += k
            return data
        self._deadline = self._body_deadline()
        data = await self._reader.read(n)
        self._deadline = None
        if not data:
            self._close = True
            raise OSError("client closed the connection mid-body")
        return data

    async def _skip_body(self):
        # Discard what the handler left unread; False when the connection must close.
        if self._left == 0:
            return True
        if self._expect or self._close or self._left > self._limits.max_body:
            return False  # an expecting client never sent its body
        while await self.r(_SMALL):
            pass
        return True

    # ---- the response ----

    def return_status(self, code, text=None):
        if self._started or self._pending is not None or self._user_hdr:
            raise RuntimeError("return_status() must come before headers and body")
        self._status = code
        self._reason = text
        return _DONE

    def header(self, name, value):
        if self._started or (self._pending is not None and not self._late_ok):
            raise RuntimeError("header() must come before the body")
        self._user_hdr = True
        self._add_header(name, value)
        return _DONE

    def _add_header(self, name, value):
        value = str(value)
        if "\n" in value or "\r" in value or "\n" in name or "\r" in name or ":" in name:
            raise ValueError("bad header")
        low = name.lower()
        if low == "content-type":
            self._ctype = True
        elif low == "content-length":
            self._clen = int(value)
        elif low == "connection" and "close" in value.lower():
            self._close = True
        line = ("%s: %s\r\n" % (name, value)).encode()
        if self._hdrs is None:
            self._hdrs = [line]
        else:
            self._hdrs.append(line)

    def header_html(self):
        return self.header("Content-Type", "text/html; charset=utf-8")

    def header_text(self):
        return self.header("Content-Type", "text/plain; charset=utf-8")

    def header_json(self):
        return self.header("Content-Type", "application/json")

    def _head(self, length, body=None):
        # Status line and headers; length None: chunked (HTTP/1.0: close-delimited).
        # body: a small body joined to them (one allocation, before _started).
        status = self._status
        parts = [status_line(status, self._reason), date_line()]
        if self._hdrs:
            parts.extend(self._hdrs)
        bodiless = status < 200 or status == 204 or status == 304
        if not self._ctype and not bodiless:
            parts.append(_HTML)
        if self._clen is None and not bodiless:
            if length is not None:
                parts.append(b"Content-Length: %d\r\n" % length)
            elif self._http10:
                self._close = True
            else:
                parts.append(b"Transfer-Encoding: chunked\r\n")
                self._chunked = True
        if self._close:
            parts.append(b"Connection: close\r\n")
        parts.append(b"\r\n")
        if body is not None:
            parts.append(body)
        head = b"".join(parts)
        self._started = True  # (not before: out of heap here, nothing went out)
        return head

    async def w(self, data, drain=True):
        # The first write is held back: if the handler returns after it, the
        # answer gets a Content-Length; a second write starts chunked coding.
        if isinstance(data, str):
            data = data.encode()  # bytes, bytearray and memoryview are sent as is
        if not self._started:
            if data is not None and self._pending is None and self._clen is None:
                self._pending = data
                return
            self._writer.write(self._head(None))
            if self._pending is not None:
                self._send_body(self._pending)
                self._pending = None
        if data is not None:
            self._send_body(data)
        if drain:
            await self._drain()

    def _send_body(self, data):
        n = len(data)
        if not n or _nobody(self):
            return
        self._sent += n
        if self._chunked:
            frame = b"%x\r\n" % n
            if n < _SMALL:
                try:  # frame, data and CRLF in one write: one TCP segment
                    whole = frame + data + b"\r\n"
                except MemoryError:  # no piece that big in a fragmented heap: three writes
                    whole = None
                if whole is not None:
                    self._writer.write(whole)
                    return
            self._writer.write(frame)
            self._writer.write(data)
            self._writer.write(b"\r\n")
        else:
            self._writer.write(data)

    async def _drain(self):
        self._deadline = ticks_add(ticks_ms(), self._limits.write_timeout * 1000)
        await self._writer.drain()
        self._deadline = None

    async def _finish(self):
        # Completes the answer once the handler returned.
        if not self._started:
            body = self._pending
            self._pending = None
            if body is None or _nobody(self):
                self._writer.write(self._head(0 if body is None else len(body)))
            elif len(body) < _SMALL and not isinstance(body, memoryview):
                # with its head in one piece: a MemoryError joining them after
                # _started would close the connection without an answer
                self._writer.write(self._head(len(body), body))
            else:
                self._writer.write(self._head(len(body)))
                self._writer.write(body)
        elif self._chunked:
            if not _nobody(self):
                self._writer.write(b"0\r\n\r\n")
        elif self._clen is None or self._sent < self._clen:
            self._close = True  # close-delimited, or the handler wrote too little
        self._deadline = ticks_add(ticks_ms(), self._limits.write_timeout * 1000)
        await self._writer.drain()  # _drain() inlined: the hot path
        self._deadline = None
