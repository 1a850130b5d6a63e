# Decoding of query strings, urlencoded forms and JSON bodies.
# Loaded on first use by rq.decode_*().
from .http import HttpError, unquote


def _unquote_plus(b):
    # bytes with '+' and %XX escapes -> utf-8 str; ValueError when malformed
    return unquote(b.replace(b"+", b" ") if b"+" in b else b)


def parse_qs(data):
    # 'a=1&b=x+y&a=2&flag' -> {'a': ['1', '2'], 'b': 'x y', 'flag': True}
    if isinstance(data, str):
        data = data.encode()
    result = {}
    try:
        for item in data.split(b"&"):
            if not item:
                continue
            i = item.find(b"=")
            if i < 0:
                key = _unquote_plus(item)
                value = True
            else:
                key = _unquote_plus(item[:i])
                value = _unquote_plus(item[i + 1 :])
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


def parse_json(data):
    import json

    try:
        return json.loads(data.decode())
    except ValueError:  # bad JSON, not utf-8
        raise HttpError(400)
