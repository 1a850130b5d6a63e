# The `rq` object handlers see. One per connection, reset for every request,
# so a keep-alive connection allocates no new request object.
import asyncio
from .http import HttpError, status_line, find_head_end, parse_head, content_length
from .clock import ticks_ms, ticks_add

try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

_MPY = hasattr(asyncio.StreamReader, "readinto")
_SMALL = const(1024)  # below this, a chunk's frame and data go out in one write
_HTML = b"Content-Type: text/html; charset=utf-8\r\n"
_NO_PARAMS = {}
# Optional rq features, loaded on first use: rq.NAME is function NAME(rq, ...)
# of module aiowebserver.MODULE; a function get_NAME(rq) makes rq.NAME a value.
_EXT = {}


class Request:
    # Limits come from server.limits, handed in so no module reaches back.
    def __init__(self, reader, writer, buf, limits):
        self._reader = reader
        self._writer = writer
        self._buf = buf
        self._mv = memoryview(buf)
        self._start = 0  # unconsumed bytes are buf[_start:_end]
        self._end = 0
        self._limits = limits
        self._deadline = None  # ticks at which the watchdog cancels _task
        self._task = None
        self._idle = False
        self._timed_out = False
        self.method = self.path = self.query = self.headers = None
        self._started = False
        self._pending = None

    def __getattr__(self, name):
        mod = _EXT.get(name)
        if mod is None:
            raise AttributeError(name)
        mod = __import__("aiowebserver." + mod, None, None, [name])
        getter = getattr(mod, "get_" + name, None)
        if getter is not None:
            return getter(self)
        fn = getattr(mod, name)
        return lambda *args, **kw: fn(self, *args, **kw)

    # ---- reading the head (server side) ----

    async def _fill(self):
        # Read more bytes into the free end of the buffer; compacts it first.
        buf = self._buf
        if self._start:
            n = self._end - self._start
            if n:
                buf[:n] = self._mv[self._start : self._end]
            self._start = 0
            self._end = n
        end = self._end
        if end == len(buf):
            return -1  # full
        if _MPY:
            while True:
                n = await self._reader.readinto(self._mv[end:])
                if n is not None:
                    break
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
            n = await self._fill()  # moves the partial head to buf[0:got]
            if n == -1:
                # buffer full: a request line that does not fit is a too long URL
                if buf.find(b"\n", 0, self._end) < 0:
                    raise HttpError(414)
                raise HttpError(431)
            if n == 0:
                if got == 0:
                    return False
                raise HttpError(400)
            self._idle = False
            scan = got - 2 if got > 2 else 0
        head = bytes(self._mv[self._start : i])
        self._start = i
        lim = self._limits
        method, path, query, version, headers = parse_head(head, lim.max_headers)
        self._begin(method, path, query, version, headers, content_length(headers, lim.max_body))
        return True

    def _begin(self, method, path, query, version, headers, body):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self._left = body  # body bytes still unread; -1: chunked
        self._chunk = 0  # bytes left in the current chunk of a chunked body
        self._total = 0  # chunked body bytes read so far
        self._http10 = version == b"HTTP/1.0"
        conn = headers.get("connection")
        self._close = self._http10 or (conn is not None and "close" in conn.lower())
        expect = headers.get("expect")
        if expect is not None and expect.lower() != "100-continue":
            raise HttpError(417)
        self._expect = expect is not None and body != 0
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
        self.params = _NO_PARAMS

    # ---- reading the body ----

    async def r(self, n):
        # Up to n bytes of the request body; b'' at its end.
        if self._left == 0 or n <= 0:
            return b""
        if self._expect:
            await self._continue()
        if self._left < 0:
            return await self._read_chunked(n)
        data = await self._take(n if n < self._left else self._left)
        self._left -= len(data)
        return data

    async def _continue(self):
        self._expect = False
        if not self._started:
            self._writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            await self._drain()

    async def _take(self, n):
        # Up to n bytes from the buffer, else from the socket; EOF is an error.
        k = self._end - self._start
        if k:
            if k > n:
                k = n
            data = bytes(self._mv[self._start : self._start + k])
            self._start += k
            return data
        self._deadline = ticks_add(ticks_ms(), self._limits.body_timeout * 1000)
        data = await self._reader.read(n)
        self._deadline = None
        if not data:
            self._close = True
            raise OSError("client closed the connection mid-body")
        return data

    async def _line(self):
        # One CRLF-terminated line of a chunked body's framing, bounded by the buffer.
        while True:
            i = self._buf.find(b"\n", self._start, self._end)
            if i >= 0:
                line = bytes(self._mv[self._start : i])
                self._start = i + 1
                return line[:-1] if line[-1:] == b"\r" else line
            self._deadline = ticks_add(ticks_ms(), self._limits.body_timeout * 1000)
            n = await self._fill()
            self._deadline = None
            if n == -1:
                raise HttpError(400)
            if n == 0:
                self._close = True
                raise OSError("client closed the connection mid-body")

    async def _read_chunked(self, n):
        if self._chunk == 0:
            line = await self._line()
            i = line.find(b";")
            if i >= 0:
                line = line[:i]
            line = line.strip()
            if not line or len(line) > 8:
                raise HttpError(400)
            try:
                size = int(line, 16)
            except ValueError:
                raise HttpError(400)
            if size == 0:
                while await self._line():  # trailer fields, ignored
                    pass
                self._left = 0
                return b""
            self._total += size
            if self._total > self._limits.max_body:
                self._close = True
                raise HttpError(413)
            self._chunk = size
        data = await self._take(n if n < self._chunk else self._chunk)
        self._chunk -= len(data)
        if self._chunk == 0 and await self._line() != b"":
            raise HttpError(400)
        return data

    async def _body(self):
        # The whole body, for the decoders; bounded by limits.max_body.
        parts = []
        size = 0
        while True:
            data = await self.r(_SMALL)
            if not data:
                return b"".join(parts)
            size += len(data)
            if size > self._limits.max_body:
                raise HttpError(413)
            parts.append(data)

    async def _skip_body(self):
        # Discard what the handler left unread; False when the connection must close.
        if self._left == 0:
            return True
        if self._expect or self._close:
            return False  # the client waits for 100 Continue: it never sent the body
        if self._left > self._limits.max_body:
            return False
        while await self.r(_SMALL):
            pass
        return True

    # ---- the response ----

    def return_status(self, code, text=None):
        if self._started or self._pending is not None or self._user_hdr:
            raise RuntimeError("return_status() must come before headers and body")
        self._status = code
        self._reason = text

    def header(self, name, value):
        if self._started or (self._pending is not None and not self._late_ok):
            raise RuntimeError("header() must come before the body")
        self._user_hdr = True
        self._add_header(name, value)

    def _add_header(self, name, value):
        value = str(value)
        if "\n" in name or "\r" in name or "\n" in value or "\r" in value or ":" in name:
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
        self.header("Content-Type", "text/html; charset=utf-8")

    def header_text(self):
        self.header("Content-Type", "text/plain; charset=utf-8")

    def header_json(self):
        self.header("Content-Type", "application/json")

    async def redirect(self, url, permanent=False):
        self.return_status(301 if permanent else 302)
        self.header("Location", url)
        await self._finish()

    def _head(self, length):
        # The status line and headers; length None: chunked (or close-delimited).
        status = self._status
        parts = [status_line(status, self._reason)]
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
        self._started = True
        return b"".join(parts)

    def _nobody(self):
        s = self._status
        return self.method == "HEAD" or s < 200 or s == 204 or s == 304

    async def w(self, data, drain=True):
        # The first write is held back: if the handler returns after it, the
        # response gets a Content-Length; otherwise it goes out chunked.
        if data is None:
            if not self._started:
                self._send(self._head(None), None)
                if self._pending is not None:
                    self._send_body(self._pending)
                    self._pending = None
                await self._drain()
            return
        if isinstance(data, str):
            data = data.encode()
        if not self._started:
            if self._pending is None and self._clen is None:
                self._pending = data
                return
            self._send(self._head(None), None)
            if self._pending is not None:
                self._send_body(self._pending)
                self._pending = None
        self._send_body(data)
        if drain:
            await self._drain()

    def _send(self, head, body):
        if body is None or self._nobody():
            self._writer.write(head)
        elif len(body) < _SMALL:
            self._writer.write(head + body)
        else:
            self._writer.write(head)
            self._writer.write(body)

    def _send_body(self, data):
        n = len(data)
        if not n or self._nobody():
            return
        self._sent += n
        if self._chunked:
            frame = b"%x\r\n" % n
            if n < _SMALL:
                self._writer.write(frame + data + b"\r\n")
            else:
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
        # Completes the response after the handler returned.
        if not self._started:
            body = self._pending
            self._pending = None
            if body is None:
                body = b""
            self._send(self._head(len(body)), body)
        elif self._chunked:
            if not self._nobody():
                self._writer.write(b"0\r\n\r\n")
        elif self._clen is None or self._sent < self._clen:
            self._close = True  # close-delimited, or the handler wrote too little
        await self._drain()

    def _reset_response(self):
        # Forget what a failed handler prepared, before an error answer.
        self._status = 200
        self._reason = None
        self._hdrs = None
        self._user_hdr = False
        self._ctype = False
        self._clen = None
        self._pending = None

    # ---- forms ----

    def _ctype_is(self, want):
        ct = self.headers.get("content-type")
        if ct is None:
            return False
        i = ct.find(";")
        if i >= 0:
            ct = ct[:i]
        return ct.strip().lower() == want

    def is_postform(self):
        return self._ctype_is("application/x-www-form-urlencoded")

    def is_postjson(self):
        return self._ctype_is("application/json")

    async def decode_postform_data(self):
        from .forms import parse_qs

        return parse_qs(await self._body())

    async def decode_postjson_data(self):
        from .forms import parse_json

        return parse_json(await self._body())

    async def decode_query_data(self):
        if not self.query:
            return {}
        from .forms import parse_qs

        return parse_qs(self.query)

    async def sendfile(self, path, directory=None, mimetypes=None, timestamp=None):
        from .static import sendfile

        await sendfile(self, path, directory, mimetypes, timestamp)
