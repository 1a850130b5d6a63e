# The less common way of reading a request body: chunked transfer coding.
# Loaded on first use.
from .http import HttpError


async def _line(rq):
    # One line of chunked framing, without its CRLF; bounded by the head buffer.
    while True:
        i = rq._buf.find(b"\n", rq._start, rq._end)
        if i >= 0:
            line = bytes(rq._mv[rq._start : i])
            rq._start = i + 1
            return line[:-1] if line[-1:] == b"\r" else line
        rq._deadline = rq._body_deadline()
        n = await rq._fill()
        rq._deadline = None
        if n == -1:
            raise HttpError(400)
        if n == 0:
            rq._close = True
            raise OSError("client closed the connection mid-body")


async def read_chunked(rq, n):
    if rq._chunk == 0:
        line = await _line(rq)
        i = line.find(b";")
        if i >= 0:
            line = line[:i]
        line = line.strip()
        if not line or len(line) > 8 or line.strip(b"0123456789abcdefABCDEF"):
            raise HttpError(400)  # hex digits only: no sign, 0x, _ or spaces
        try:
            size = int(line, 16)
        except ValueError:
            raise HttpError(400)
        if size < 0:
            raise HttpError(400)
        if size == 0:
            while await _line(rq):  # trailer fields, ignored
                pass
            rq._left = 0
            return b""
        rq._total += size
        if rq._total > rq._limits.max_body:
            rq._close = True
            raise HttpError(413)
        rq._chunk = size
    data = await rq._take(n if n < rq._chunk else rq._chunk)
    rq._chunk -= len(data)
    if rq._chunk == 0 and await _line(rq) != b"":
        raise HttpError(400)
    return data
