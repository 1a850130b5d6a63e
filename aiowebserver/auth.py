# HTTP Basic authentication: a decorator for handlers. Loaded on first use of
# web.basic_auth. Use it over HTTPS or on a trusted network only: Basic
# credentials travel in clear text.

try:
    from hashlib import sha256
except ImportError:  # a port built without hashlib: compare the bytes themselves
    sha256 = None


def _digest(b):
    return sha256(b).digest() if sha256 is not None else b


def _same(a, b):
    # Constant time for equal lengths (digests): no early exit on a mismatch.
    diff = len(a) ^ len(b)
    for i in range(min(len(a), len(b))):
        diff |= a[i] ^ b[i]
    return diff == 0


def _credentials(rq):
    # (user, password) as bytes from the Authorization header, or None.
    value = rq.headers.get("authorization")
    if not value or value[:6].lower() != "basic ":
        return None
    from binascii import a2b_base64

    try:
        raw = a2b_base64(value[6:].strip())
    except ValueError:  # binascii.Error is one
        return None
    i = raw.find(b":")
    if i < 0:
        return None
    return raw[:i], raw[i + 1 :]


def get_user(rq):
    # rq.user: the name a basic_auth decorator accepted for this request, or None.
    ext = rq._ext
    return ext.get("user") if isinstance(ext, dict) else None


async def _deny(rq, header):
    rq.return_status(401)
    rq._add_header("WWW-Authenticate", header)
    from .errors import handler_for

    handler = handler_for(rq, 401)
    if handler is not None:
        await handler(rq)  # the app's errorhandler(401), header already set
        return
    rq._add_header("Content-Type", "text/plain; charset=utf-8")
    await rq.w("401 Unauthorized\n")


def basic_auth(user=None, password=None, realm="aiowebserver", check=None):
    """Decorator: the handler runs only for a request with valid credentials.

    Either one account, basic_auth('admin', 'secret'), or a function,
    basic_auth(check=fn) with fn(user, password) -> bool (both str). Anything
    else is answered 401 with WWW-Authenticate, which makes a browser ask.
    """
    if check is None:
        if user is None or password is None:
            raise ValueError("basic_auth needs user and password, or check=")
        want_user = _digest(user.encode())
        want_password = _digest(password.encode())
    if '"' in realm or "\r" in realm or "\n" in realm:
        raise ValueError("bad realm")
    header = 'Basic realm="%s", charset="UTF-8"' % realm

    def decorate(handler):
        async def guarded(rq):
            given = _credentials(rq)
            ok = False
            name = None
            if given is not None:
                try:
                    name = given[0].decode()
                    if check is None:
                        # both compared in full whatever the first result
                        ok = _same(_digest(given[0]), want_user) & _same(_digest(given[1]), want_password)
                    else:
                        ok = bool(check(name, given[1].decode()))
                except UnicodeError:
                    ok = False
            if not ok:
                await _deny(rq, header)
                return
            ext = rq._ext
            if ext is None:
                ext = rq._ext = {}
            if isinstance(ext, dict):
                ext["user"] = name
            await handler(rq)

        return guarded

    return decorate
