# Decoding of query strings, urlencoded forms and JSON bodies, and the rq
# methods that use them. Loaded on first use.
from .http import HttpError, unquote


def parse_qs(data):
    # 'a=1&b=x+y&a=2&flag' -> {'a': ['1', '2'], 'b': 'x y', 'flag': True}
    if isinstance(data, str):
        data = data.encode()
    if b"+" in data:  # a space ('+' itself comes as %2B)
        data = data.replace(b"+", b" ")
    result = {}
    try:
        for item in data.split(b"&"):
            if not item:
                continue
            i = item.find(b"=")
            if i < 0:
                key = unquote(item)
                value = True
            else:
                key = unquote(item[:i])
                value = unquote(item[i + 1 :])
            old = result.get(key)
            if old is None:
                result[key] = value
            elif isinstance(old, list):
                old.append(value)
            else:
                result[key] = [old, value]
    except ValueError:  # bad escape, not utf-8
        raise HttpError(400)
    return result


def _ctype_is(rq, want):
    # Content-Type without its parameters ('; charset=UTF-8') equals want
    ct = rq.headers.get("content-type")
    if ct is None:
        return False
    i = ct.find(";")
    if i >= 0:
        ct = ct[:i]
    return ct.strip().lower() == want


def is_postform(rq):
    return _ctype_is(rq, "application/x-www-form-urlencoded")


def is_postjson(rq):
    return _ctype_is(rq, "application/json")


async def read_all(rq):
    # The whole body, for the decoders; bounded by limits.max_body (here, not
    # in body.py: a form or JSON body then loads one module, not two)
    parts = []
    size = 0
    while True:
        data = await rq.r(1024)
        if not data:
            return b"".join(parts)
        size += len(data)
        if size > rq._limits.max_body:
            raise HttpError(413)
        parts.append(data)


async def decode_postform_data(rq):
    return parse_qs(await read_all(rq))


async def decode_postjson_data(rq):
    import json

    data = await read_all(rq)
    try:
        return json.loads(data.decode())
    except ValueError:  # bad JSON, not utf-8
        raise HttpError(400)


async def decode_query_data(rq):
    return parse_qs(rq.query) if rq.query else {}

