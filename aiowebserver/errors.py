# Error answers and logging, loaded on first need: what the server says when a
# request fails, through the app's errorhandler when it has one.
import sys
from .status import reason
from .router import _errors


def _find(errors, key):
    # errors' handler for a status, or for an exception's class (or a base class)
    if isinstance(key, int):
        return errors.get(key)
    for k in errors:
        if k is not None and not isinstance(k, int) and isinstance(key, k):
            return errors[k]
    return None


def group_handler(rq, key):
    # The error handler for key (a status or an exception) of the innermost
    # mounted group whose prefix rq.path is under, or None.
    groups = _errors.get(None)  # (prefix, prefix + '/', errors), longest first
    if groups:
        path = rq.path
        for prefix, under, errors in groups:
            if path == prefix or path.startswith(under):
                h = _find(errors, key)
                if h is not None:
                    return h
    return None


def handler_for(rq, key):
    # The error handler for key: a mounted group's, else the app's, else None.
    return group_handler(rq, key) or _find(_errors, key)


def log_exc(e):
    if sys.implementation.name == "micropython":
        sys.print_exception(e)
    else:
        import traceback

        traceback.print_exception(type(e), e, e.__traceback__)


async def answer_error(rq, status, text=None):
    # The answer to an HttpError raised while a request was served, through
    # the app's errorhandler(status) when it has one; text: a line saying why.
    allow = rq._allow
    _reset(rq)
    rq._status = status
    if allow is not None:
        rq._add_header("Allow", allow)  # a 405 needs it, whoever writes the body
    elif status == 503:
        rq._add_header("Retry-After", "1")  # busy or short of heap: a moment
    handler = handler_for(rq, status)
    if handler is not None:
        await handler(rq)
    else:
        rq._add_header("Content-Type", "text/plain; charset=utf-8")
        await rq.w("%d %s%s\n" % (status, reason(status), ": " + text if text else ""))
    await rq._finish()


async def answer_exception(rq, e):
    # A handler raised: the app's errorhandler(ExceptionClass), or a logged 500.
    handler = handler_for(rq, e) if _errors else None
    if handler is None:
        log_exc(e)
    if rq._started:
        return
    rq._close = True
    if handler is None:
        await answer_error(rq, 500)
    else:
        _reset(rq)
        await handler(rq, e)
        await rq._finish()


def _reset(rq):
    # Forget what a failed handler prepared.
    rq._status = 200
    rq._reason = None
    rq._hdrs = None
    rq._user_hdr = False
    rq._ctype = False
    rq._clen = None
    rq._pending = None
