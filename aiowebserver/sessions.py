# Sessions: web.sessions(secret_key) gives every handler rq.session, a dict
# kept in a cookie signed with HMAC-SHA256. Loaded on first use of
# web.sessions. The cookie value is  base64(json) "." hex(time) "." base64(mac):
# readable by the client (store no secrets in it), unforgeable without the key.
# The cookie is read and written here, without the cookies module (2.5 KB of
# heap as .mpy), and rq.scheme without tls: a 64 KB heap has room for the rest.
import json
from binascii import a2b_base64, b2a_base64
from hashlib import sha256
from time import time
from .router import after_request

# Numbers written where they are used (no const() import: its CPython
# fallback is one more function in the heap): 64, SHA-256's block size (HMAC
# pads the key to it); 4093, the longest name=value browsers keep; 900, a
# browser's request head without its Cookie (Chromium: 814 B for a form
# POST); 60, the seconds a cookie may come from the future (clock adjusted).

_conf = None  # (inner pad, outer pad, max_age, cookie name, secure, max_size)


def _mac(msg):
    # HMAC-SHA256 (RFC 2104) with the pads sessions() made from the key
    inner = sha256(_conf[0])
    inner.update(msg)
    outer = sha256(_conf[1])
    outer.update(inner.digest())
    return b2a_base64(outer.digest())[:-1]  # base64, without the newline


def get_session(rq):
    # rq.session: loaded from the cookie once per request, cached in rq._ext
    # with its JSON as loaded, which tells the after_request hook whether it changed.
    ext = rq._ext
    if ext is None:
        ext = rq._ext = {}
    session = ext.get("session")
    if session is None:
        if _conf is None:
            raise RuntimeError("rq.session needs web.sessions(secret_key) first")
        session = {}
        want = _conf[3] + "="
        for item in (rq.headers.get("cookie") or "").split(";"):
            item = item.strip()
            if item.startswith(want):  # the first one (RFC 6265 5.4: the most specific)
                # unsigned, tampered with, expired or malformed: an empty
                # session, never an error
                try:
                    value = item[len(want) :].encode()
                    i = value.rfind(b".")
                    msg = value[:i]
                    mac = _mac(msg)
                    value = value[i + 1 :]
                    # constant time for equal lengths: no early exit on the first difference
                    diff = len(value) ^ len(mac) if i >= 0 else 1
                    for k in range(min(len(value), len(mac))):
                        diff |= value[k] ^ mac[k]
                    i = msg.rfind(b".")
                    if _conf[2] is not None:
                        age = time() - int(msg[i + 1 :], 16)
                        if age > _conf[2] or age < -60:
                            diff = 1
                    if not diff:  # the text compared: one spelling only
                        value = json.loads(a2b_base64(msg[:i]))
                        if isinstance(value, dict):
                            session = value
                except Exception:  # noqa: BLE001  whatever the client sent
                    pass
                break
        ext["session"] = session
        ext["session_was"] = json.dumps(session) if session else None
    return session


async def _save(rq):
    # after_request: a changed session goes out as a new signed cookie; an
    # emptied one (logout) deletes the cookie.
    ext = rq._ext
    if not isinstance(ext, dict):
        return
    session = ext.get("session")
    if session is None:
        return  # the handler never looked at it
    now = json.dumps(session) if session else None
    if now == ext["session_was"]:
        return
    if rq._started:  # the answer completes; the lost change is the app's bug, logged
        from .errors import log_exc

        log_exc(RuntimeError("rq.session changed after the answer's head was sent: change it before a second rq.w()"))
        return
    _, _, max_age, name, secure, max_size = _conf
    if secure is None:  # rq.scheme == 'https', without loading tls
        try:
            secure = bool(rq._writer.get_extra_info("sslcontext"))
        except KeyError:  # MicroPython's Stream: no such key on a plain connection
            secure = False
    value = ""
    attrs = "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"  # an emptied session: deleted
    if now is not None:
        limit = max_size or min(4093, rq._limits.buffer_size - 900)
        # name=base64(json).time.base64(mac), its size known before it is made: a
        # session too big costs no encoding (in a small heap, its copies may not fit)
        size = len(name) + 1 + (len(now.encode()) + 2) // 3 * 4 + 1 + len("%x" % int(time())) + 45
        if size > limit:
            raise ValueError(
                "session cookie of %d bytes, over its limit of %d: store less in rq.session, "
                "or raise web.limits.buffer_size (the browser sends it back in every request head)" % (size, limit)
            )
        value = b"%s.%x" % (b2a_base64(now.encode())[:-1], int(time()))
        value = (value + b"." + _mac(value)).decode()  # base64 and '.': nothing in it to escape
        attrs = "" if max_age is None else "; Max-Age=%d" % int(max_age)
    rq._add_header("Set-Cookie", "%s=%s; Path=/%s; HttpOnly; SameSite=Lax%s" % (
        name, value, attrs, "; Secure" if secure else ""))


def sessions(secret_key, max_age=None, cookie="session", secure=None, max_size=None):
    """Give every handler rq.session, a dict saved in a signed cookie.

    secret_key: str or bytes, at least 16 bytes, kept secret (whoever has it
    can forge sessions); max_age: seconds a session lives after it was last
    changed (None: until the browser closes); cookie: its name; secure: the
    cookie's Secure attribute (None: when the connection is HTTPS); max_size:
    the largest cookie (None: what fits limits.buffer_size, at most 4093).
    """
    global _conf
    if len(secret_key) < 16:
        raise ValueError("secret_key needs at least 16 bytes (use random ones: os.urandom(32))")
    for c in cookie or "=":  # an RFC 9110 token
        if not (c.isalpha() or c.isdigit() or c in "!#$%&'*+-.^_`|~") or ord(c) > 126:
            raise ValueError("bad cookie name")
    first = _conf is None
    # HMAC's key padded to the block and xor'ed with ipad and opad
    key = secret_key.encode() if isinstance(secret_key, str) else secret_key
    if len(key) > 64:
        key = sha256(key).digest()
    inner = bytearray(key + bytes(64 - len(key)))
    outer = bytearray(inner)
    for i in range(64):
        inner[i] ^= 0x36
        outer[i] ^= 0x5C
    _conf = (bytes(inner), bytes(outer), max_age, cookie, secure, max_size)
    if first:
        from .request import _EXT
        from . import request  # (loaded by the line above: no lazy lookup)

        request._EXT = _EXT + "session=sessions "
        after_request(_save)
