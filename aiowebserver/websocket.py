# WebSocket (RFC 6455), server side: the `rq` a web.route_ws(path) handler
# gets (live.py registers the route). Loaded on the first upgrade request.
import asyncio
import gc
import sys
from .live import route_ws  # noqa: F401  (the name's older home)
from .http import HttpError
try:
    from time import ticks_ms, ticks_add, ticks_diff
except ImportError:
    from .clock import ticks_ms, ticks_add, ticks_diff
from .stream import ConnectionClosed, Stream, streams_left

try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

_MPY = sys.implementation.name == "micropython"
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TEXT = const(1)
_BINARY = const(2)
_CLOSE = const(8)
_PING = const(9)
_PONG = const(10)
_XOR = const(256)  # bytes unmasked per big-int XOR (a multiple of 4)
_SMALL = const(1024)  # below this a frame's header and payload go out in one write
_SLICE = const(4096)  # bigger payloads are written this much at a time

CLOSE_TIMEOUT = const(2)  # seconds to wait for the peer's answer to our close frame

def unmask(buf, mask):
    # XOR buf (a bytearray) in place with the 4-byte mask, as big integers
    # of _XOR bytes at a time: no per-byte Python loop.
    n = len(buf)
    mv = memoryview(buf)
    i = 0
    if n >= _XOR:
        m = int.from_bytes(mask * (_XOR // 4), "big")
        while i + _XOR <= n:
            j = i + _XOR
            mv[i:j] = (int.from_bytes(mv[i:j], "big") ^ m).to_bytes(_XOR, "big")
            i = j
    if i < n:
        k = n - i
        m = int.from_bytes((mask * ((k + 3) // 4))[:k], "big")
        mv[i:] = (int.from_bytes(mv[i:], "big") ^ m).to_bytes(k, "big")


def _utf8(data):
    # The text of a message, or None when it is not valid UTF-8. MicroPython's
    # decoder checks the structure only: reject overlong forms, surrogates
    # and code points past U+10FFFF as RFC 3629 requires.
    try:
        text = str(data, "utf-8")
    except UnicodeError:
        return None
    if _MPY and len(text) != len(data):
        for bad in (b"\xc0", b"\xc1", b"\xf5", b"\xf6", b"\xf7"):
            if data.find(bad) >= 0:
                return None
        # lead byte, and the range its next byte must lie in
        for lead, lo, hi in ((0xE0, 0xA0, 0xBF), (0xED, 0x80, 0x9F), (0xF0, 0x90, 0xBF), (0xF4, 0x80, 0x8F)):
            i = data.find(bytes((lead,)))
            while i >= 0:
                if not lo <= data[i + 1] <= hi:
                    return None
                i = data.find(bytes((lead,)), i + 2)
    return text


class WebSocket(Stream):
    # The `rq` of a WebSocket handler: rq.method/path/query/headers of the
    # upgrade request, rq.protocol (the chosen subprotocol or None), rq.closed,
    # and coroutines w(data), ping(data=b''), close(code=1000, reason='').

    def __init__(self, rq, handler, protocol, max_message, ping_interval, ping_timeout):
        super().__init__(rq)
        self.protocol = protocol
        self._handler = handler
        self._max = max_message
        self._ping = ping_interval
        self._idle = (ping_interval + ping_timeout) * 1000
        self._r = rq._reader
        self._w = rq._writer
        self._buf = rq._buf
        self._mv = rq._mv
        self._s = rq._start  # unconsumed bytes are _buf[_s:_e]
        self._e = rq._end
        self._rdl = None  # read deadline (ticks) while waiting for the peer
        self._wdl = None  # write deadline while a frame is being sent
        self._closing = None  # ticks by which the peer must answer our close
        self._code = 1006  # close code the handler's close event reports

    # ---- sending (any task) ----

    async def w(self, data):
        # A text message for str, a binary message for bytes.
        if isinstance(data, str):
            await self._send(_TEXT, data.encode())
        else:
            await self._send(_BINARY, data)

    async def ping(self, data=b""):
        # The peer answers with a pong (nothing to await: any byte from the
        # peer proves it alive). At most 125 bytes of data.
        if len(data) > 125:
            raise ValueError("ping data over 125 bytes")
        await self._send(_PING, data)

    async def close(self, code=1000, reason=""):
        # Starts the close handshake; the handler then gets its close event.
        # reason: at most 123 bytes of UTF-8.
        payload = code.to_bytes(2, "big") + reason.encode()
        if len(payload) > 125:
            raise ValueError("close reason over 123 bytes")
        if self.closed:
            return
        self._closing = ticks_add(ticks_ms(), CLOSE_TIMEOUT * 1000)
        if self._rdl is not None:
            self._rdl = self._closing
            self._arm()
        self._code = code
        try:
            await self._send(_CLOSE, payload)
        except ConnectionClosed:
            pass

    def _arm(self):
        # The watchdog deadline: the earlier of the read and write deadlines.
        r = self._rdl
        w = self._wdl
        if r is None or (w is not None and ticks_diff(w, r) < 0):
            r = w
        self._rq._deadline = r

    async def _send(self, opcode, payload):
        if self.closed:
            raise ConnectionClosed("WebSocket closed")
        async with self._lock:
            if self.closed:
                raise ConnectionClosed("WebSocket closed")
            if opcode == _CLOSE:
                self.closed = True  # no data frame may follow a close frame
            n = len(payload)
            if n < 126:
                head = bytes((0x80 | opcode, n))
            elif n < 65536:
                head = bytes((0x80 | opcode, 126, n >> 8, n & 255))
            else:
                head = bytes((0x80 | opcode, 127)) + n.to_bytes(8, "big")
            w = self._w
            try:
                if n < _SMALL:
                    w.write(head + payload)
                    await self._drain()
                    return
                # TCP_NODELAY (see _serve): the header need not share a segment.
                # Slices: the stream never holds a copy of a big payload.
                mv = memoryview(payload)
                w.write(head)
                for i in range(0, n, _SLICE):
                    w.write(mv[i : i + _SLICE])
                    await self._drain()
            except OSError:
                self.closed = True
                raise ConnectionClosed("peer went away")
            except MemoryError:
                # part of a frame may be out: the socket cannot go on
                self.closed = True
                self._code = 1011
                t = self._rq._task  # (None once the connection ended)
                if t is not None and t is not asyncio.current_task():
                    t.cancel()
                raise ConnectionClosed("out of memory while sending")

    def _write_deadline(self, ticks):
        self._wdl = ticks
        self._arm()

    # ---- receiving (the connection's task) ----

    async def _recv(self, mv):
        # Some bytes into mv; 0 at the end of the stream.
        if self._closing is not None:
            self._rdl = self._closing
        elif self._ping:
            self._rdl = ticks_add(ticks_ms(), self._idle)
        self._arm()
        try:
            if _MPY:
                n = None
                while n is None:
                    n = await self._r.readinto(mv)
                return n
            data = await self._r.read(len(mv))
            n = len(data)
            mv[:n] = data
            return n
        finally:
            self._rdl = None
            self._arm()

    async def _need(self, k):
        # At least k (<= 14) unconsumed bytes in the buffer; False at EOF.
        while self._e - self._s < k:
            s = self._s
            if s:
                n = self._e - s
                self._buf[:n] = bytes(self._mv[s : self._e])
                self._s = 0
                self._e = n
            n = await self._recv(self._mv[self._e :])
            if not n:
                return False
            self._e += n
        return True

    async def _payload(self, n, keep):
        # The next n bytes: a bytearray if keep, else read and dropped. None at EOF.
        out = None
        if keep:
            try:
                out = bytearray(n)
            except MemoryError:
                gc.collect()
                out = bytearray(n)  # may raise again: _frames closes with 1009
        k = self._e - self._s
        if k > n:
            k = n
        if k:
            if keep:
                out[:k] = self._mv[self._s : self._s + k]
            self._s += k
        if k < n and self._s == self._e:
            self._s = self._e = 0
        if keep:
            omv = memoryview(out)
            while k < n:
                got = await self._recv(omv[k:])
                if not got:
                    return None
                k += got
            return out
        size = len(self._buf)
        while k < n:
            left = n - k
            got = await self._recv(self._mv[: left if left < size else size])
            if not got:
                return None
            k += got
        return b""

    async def _fail(self, code):
        # A protocol error: send our close frame, then wait for the peer's.
        if not self.closed:
            await self.close(code)

    async def _frames(self):
        # Reads frames until the connection ends; answers control frames and
        # hands complete messages to the handler.
        parts = None  # payloads of a fragmented message
        size = 0
        kind = 0
        buf = self._buf
        while True:
            if self.closed and self._closing is None:
                return  # the connection broke while sending
            if not await self._need(2):
                return
            s = self._s
            b0 = buf[s]
            b1 = buf[s + 1]
            n = b1 & 0x7F
            hl = 2 + (2 if n == 126 else 8 if n == 127 else 0) + (4 if b1 & 0x80 else 0)
            if not await self._need(hl):
                return
            s = self._s
            if n == 126:
                n = (buf[s + 2] << 8) | buf[s + 3]
            elif n == 127:
                n = int.from_bytes(bytes(self._mv[s + 2 : s + 10]), "big")
            mask = bytes(self._mv[s + hl - 4 : s + hl]) if b1 & 0x80 else None
            self._s = s + hl
            op = b0 & 0x0F
            fin = b0 & 0x80
            err = 0
            if b0 & 0x70 or mask is None or n >> 63:
                err = 1002  # reserved bits, an unmasked client frame
            elif op >= 8:
                if op > _PONG or not fin or n > 125:
                    err = 1002
            elif op > _BINARY or (op == 0) == (parts is None):
                err = 1002  # unknown opcode, or a continuation out of place
            elif size + n > self._max:
                err = 1009
            if err:
                if self._closing is not None:
                    return  # nonsense after our close: just end
                await self._fail(err)
                if await self._payload(n, False) is None:
                    return
                continue
            closing = self._closing is not None
            # control frames are small: always read; data only when it is kept
            keep = op >= 8 or not closing
            try:
                data = await self._payload(n, keep)
            except MemoryError:
                await self._fail(1009)  # too big for the free heap right now
                data = await self._payload(n, False)
                keep = False
            if data is None:
                return
            if n and keep:
                unmask(data, mask)
            if op == _CLOSE:
                await self._peer_close(data)
                return
            if op == _PING:
                if not self.closed:
                    try:
                        await self._send(_PONG, bytes(data))
                    except ConnectionClosed:
                        return
                continue
            if op == _PONG or closing:
                continue
            if op:
                kind = op
            if not fin:
                if parts is None:
                    parts = []
                parts.append(data)
                size += n
                continue
            if parts is not None:
                parts.append(data)
                data = b"".join(parts)
                parts = None
                size = 0
            try:
                if kind == _TEXT:
                    text = _utf8(data)
                    if text is None:
                        await self._fail(1007)
                        continue
                    evt = {"type": "text", "data": text}
                else:
                    evt = {"type": "bytes", "data": bytes(data)}
            except MemoryError:
                data = None
                await self._fail(1009)
                continue
            data = text = None
            await self._call(evt)
            evt = None  # a big message must not stay alive while the next one arrives

    async def _peer_close(self, data):
        # Answer the peer's close frame with its own code (or 1002/1007 when
        # the frame is invalid); the connection then ends.
        n = len(data)
        code = 1005  # no status code: answer with an empty close frame
        reply = b""
        if n == 1:
            code = 1002
        elif n:
            code = (data[0] << 8) | data[1]
            if not (1000 <= code <= 1014 and code not in (1004, 1005, 1006) or 3000 <= code <= 4999):
                code = 1002
            elif _utf8(data[2:]) is None:
                code = 1007
            else:
                reply = bytes(data[:2])
        if code != 1005 and not reply:
            reply = code.to_bytes(2, "big")
        if self._closing is None:
            self._code = code
            try:
                await self._send(_CLOSE, reply)
            except ConnectionClosed:
                pass

    async def _call(self, evt):
        # The application's handler; its exception closes the socket with 1011.
        try:
            await self._handler(self, evt)
        except ConnectionClosed:
            pass
        except Exception as e:  # noqa: BLE001  the handler's bug
            from .errors import log_exc

            log_exc(e)
            await self._fail(1011)

    async def _pinger(self):
        # Server pings: a live peer answers, which keeps the read deadline away.
        try:
            while True:
                await asyncio.sleep(self._ping)
                await self.ping()
        except ConnectionClosed:
            pass

    async def _run(self):
        rq = self._rq
        pinger = None
        cancelled = None
        broken = False
        try:
            await self._call({"type": "open"})
            if self._ping:
                pinger = asyncio.create_task(self._pinger())
            await self._frames()
        except asyncio.CancelledError as e:
            # the watchdog (dead peer, stalled writes) or the server stopping
            cancelled = e
            broken = rq._timed_out
            if not broken and not self.closed and not self._lock.locked():
                self._code = 1001
                try:
                    self._w.write(b"\x88\x02\x03\xe9")  # close frame, 1001 going away
                except Exception:  # noqa: BLE001
                    pass
        except OSError:
            broken = True
        finally:
            self._end()
            if pinger is not None:
                pinger.cancel()
            rq._start = rq._end = 0  # nothing for the HTTP loop to answer
            rq._deadline = None
            if broken:
                # drop a broken connection at once (CPython's close() would
                # wait for unsent data); a writer blocked in drain() then fails
                t = getattr(self._w, "transport", None)
                if t is not None:
                    t.abort()
            await self._call({"type": "close", "code": self._code})
        if cancelled is not None:
            raise cancelled


async def _refuse(rq, status, *headers):
    rq.return_status(status)
    for name, value in headers:
        rq._add_header(name, value)
    rq.header_text()
    await rq.w("%d %s\n" % (status, "Upgrade Required" if status == 426 else "Bad Request"))


async def _serve(rq, handler, protocols, max_message, ping_interval, ping_timeout):
    h = rq.headers
    if rq.method != "GET" or rq._http10 or rq._left:
        raise HttpError(400)
    upgrade = h.get("upgrade", "").lower()
    conn = h.get("connection", "").lower()
    if "websocket" not in [t.strip() for t in upgrade.split(",")] or "upgrade" not in [
        t.strip() for t in conn.split(",")
    ]:
        await _refuse(rq, 426, ("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13"))
        return
    if h.get("sec-websocket-version", "").strip() != "13":
        await _refuse(rq, 426, ("Sec-WebSocket-Version", "13"))
        return
    key = h.get("sec-websocket-key", "").strip()
    try:
        import binascii

        ok = len(key) == 24 and len(binascii.a2b_base64(key)) == 16
    except Exception:  # noqa: BLE001  binascii.Error, ValueError
        ok = False
    if not ok:
        await _refuse(rq, 400)
        return
    if not await streams_left(rq):
        return
    protocol = None
    offered = h.get("sec-websocket-protocol")
    if offered and protocols:
        offered = [p.strip() for p in offered.split(",")]
        if callable(protocols):
            protocol = protocols(offered)
        else:
            for p in protocols:
                if p in offered:
                    protocol = p
                    break
    rq._status = 101
    rq._add_header("Upgrade", "websocket")
    rq._add_header("Connection", "Upgrade")
    import hashlib

    data = key.encode() + _GUID
    sha1 = getattr(hashlib, "sha1", None)
    if sha1 is None:  # (its own module: most builds never load it)
        from .sha1 import sha1 as _sha1

        data = _sha1(data)
    else:
        data = sha1(data).digest()
    rq._add_header("Sec-WebSocket-Accept", binascii.b2a_base64(data)[:-1].decode())
    if protocol:
        rq._add_header("Sec-WebSocket-Protocol", protocol)
    rq._close = False  # no `Connection: close` beside `Upgrade`
    head = rq._head(None)
    rq._close = True  # after the WebSocket, the connection ends
    rq._writer.write(head)
    await rq._drain()
    # messages go out at once, not after the peer's delayed ACK (Nagle).
    # CPython's asyncio sets TCP_NODELAY itself; MicroPython's Stream keeps
    # its socket in .s (unix port: no constants, Linux values 6 and 1)
    sock = getattr(rq._writer, "s", None)
    if sock is not None:
        try:
            import socket

            sock.setsockopt(getattr(socket, "IPPROTO_TCP", 6), getattr(socket, "TCP_NODELAY", 1), 1)
        except Exception:  # noqa: BLE001  a port without the option: only slower
            pass
    ws = WebSocket(rq, handler, protocol, max_message, ping_interval, ping_timeout)
    try:
        await ws._run()
    finally:
        ws._buf = ws._mv = None  # the head buffer goes back with the Request
        ws._detach()
