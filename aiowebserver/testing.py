# TestClient: requests against the app's routes without sockets, on CPython
# and MicroPython. The request bytes go through the server's own connection
# code (server._accept, the real Request), only the socket is replaced by an
# in-memory stream, so a test exercises what a browser would.
#
#   from aiowebserver.testing import TestClient
#   import my_app                       # registers the routes
#   client = TestClient()
#   res = asyncio.run(client.get("/led/5"))
#   assert res.status == 200 and res.json == {"pin": 5, "value": 0}
import json


class _Stream:
    # Stands in for the connection: reads come from `data`, writes collect.
    def __init__(self, data):
        self._data = data
        self._pos = 0
        self.out = []

    async def read(self, n=-1):
        start = self._pos
        end = len(self._data) if n < 0 else min(len(self._data), start + n)
        self._pos = end
        return self._data[start:end]

    async def readinto(self, buf):
        data = await self.read(len(buf))
        buf[: len(data)] = data
        return len(data)

    async def readexactly(self, n):
        data = await self.read(n)
        if len(data) < n:
            raise EOFError
        return data

    def write(self, data):
        self.out.append(bytes(data))

    async def drain(self):
        pass

    def close(self):
        pass

    async def wait_closed(self):
        pass

    def get_extra_info(self, name, default=None):
        return ("127.0.0.1", 0) if name == "peername" else default


class TestResponse:
    """What the app answered: status, reason, headers (lower-case names,
    repeated headers joined with ', '), header_list (every (name, value) as
    sent), body (bytes), text (str), json (decoded body or None), raw bytes."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, raw, method):
        self.raw = raw
        head_end = raw.find(b"\r\n\r\n")
        if head_end < 0:
            raise ValueError("no complete response: %r" % raw[:200])
        lines = raw[:head_end].decode().split("\r\n")
        rest = raw[head_end + 4 :]
        status = lines[0].split(" ", 2)
        self.status = int(status[1])
        if 100 <= self.status < 200 and self.status != 101:
            # an interim answer (100 Continue): the real one follows
            self.__init__(rest, method)
            return
        self.reason = status[2] if len(status) > 2 else ""
        self.header_list = []
        self.headers = {}
        for line in lines[1:]:
            i = line.find(":")
            name = line[:i].strip()
            value = line[i + 1 :].strip()
            self.header_list.append((name, value))
            low = name.lower()
            old = self.headers.get(low)
            self.headers[low] = value if old is None else old + ", " + value
        if method == "HEAD" or self.status in (204, 304):
            self.body = b""
        elif self.headers.get("transfer-encoding") == "chunked":
            self.body = _unchunk(rest)
        elif "content-length" in self.headers:
            self.body = rest[: int(self.headers["content-length"])]
        else:
            self.body = rest  # close-delimited

    @property
    def text(self):
        return self.body.decode()

    @property
    def json(self):
        ctype = self.headers.get("content-type", "")
        if not ctype.startswith("application/json"):
            return None
        return json.loads(self.body)

    def cookies(self):
        # name -> value of the Set-Cookie headers (attributes dropped)
        out = {}
        for name, value in self.header_list:
            if name.lower() == "set-cookie":
                i = value.find("=")
                j = value.find(";")
                out[value[:i]] = value[i + 1 : j if j >= 0 else len(value)]
        return out


def _quote(text):
    # urlencoding of a form value: letters, digits and -._~ stay, the rest %XX
    out = []
    for b in text.encode():
        c = chr(b)
        if c.isalpha() and b < 128 or c.isdigit() or c in "-._~":
            out.append(c)
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def _unchunk(data):
    out = []
    pos = 0
    while True:
        i = data.find(b"\r\n", pos)
        if i < 0:
            raise ValueError("bad chunked body")
        size = int(data[pos:i].split(b";")[0], 16)
        if size == 0:
            return b"".join(out)
        out.append(data[i + 2 : i + 2 + size])
        pos = i + 2 + size + 2


class TestClient:
    """Sends requests to the routes registered in this interpreter.

    Every method is a coroutine returning a TestResponse. The client keeps the
    cookies the app sets (as a browser would) and sends them back; pass
    cookies=False to turn that off. headers: extra request headers (dict).
    """

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, cookies=True, headers=None):
        self.cookies = {} if cookies else None
        self.headers = headers or {}

    async def request(self, method, path, body=None, headers=None, form=None, raw=None):
        """One request. body: bytes, str, or a dict/list sent as JSON;
        form: a dict sent urlencoded; raw: the complete request bytes as is."""
        if raw is None:
            raw = self._build(method, path, body, headers, form)
        from .server import _accept

        stream = _Stream(raw)
        await _accept(stream, stream)
        res = TestResponse(b"".join(stream.out), method)
        if self.cookies is not None:
            for name, value in res.cookies().items():
                if value:
                    self.cookies[name] = value
                elif name in self.cookies:
                    del self.cookies[name]  # deleted by the app
        return res

    def _build(self, method, path, body, headers, form):
        hdrs = {"Host": "testclient"}
        hdrs.update(self.headers)
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            hdrs["Content-Type"] = "application/json"
        elif form is not None:
            body = "&".join("%s=%s" % (_quote(k), _quote(str(v))) for k, v in form.items())
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        if headers:
            hdrs.update(headers)
        if self.cookies:
            hdrs["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        if isinstance(body, str):
            body = body.encode()
        if body is not None:
            hdrs["Content-Length"] = str(len(body))
        head = "%s %s HTTP/1.1\r\n" % (method, path)
        head += "".join("%s: %s\r\n" % kv for kv in hdrs.items())
        return head.encode() + b"\r\n" + (body or b"")

    async def get(self, path, **kw):
        return await self.request("GET", path, **kw)

    async def head(self, path, **kw):
        return await self.request("HEAD", path, **kw)

    async def post(self, path, **kw):
        return await self.request("POST", path, **kw)

    async def put(self, path, **kw):
        return await self.request("PUT", path, **kw)

    async def patch(self, path, **kw):
        return await self.request("PATCH", path, **kw)

    async def delete(self, path, **kw):
        return await self.request("DELETE", path, **kw)

    async def options(self, path, **kw):
        return await self.request("OPTIONS", path, **kw)
