# Error answers and logging, loaded on first need: what the server says when a
# request fails, through the app's errorhandler when it has one.
import sys
from .status import reason
from .router import _errors


def handler_for(rq, key):
    # The error handler for key (a status, or an exception: its class or a
    # base class): the innermost mounted group's whose prefix rq.path is
    # under, else the app's, else None.
    groups = _errors.get(None) or ()  # (prefix, prefix + '/', errors), longest first
    path = rq.path
    for i in range(len(groups) + 1):
        if i < len(groups):
            prefix, under, errors = groups[i]
            if path != prefix and not path.startswith(under):
                continue
        else:
            errors = _errors
        if isinstance(key, int):
            handler = errors.get(key)
        else:
            handler = None
            for k in errors:
                if k is not None and not isinstance(k, int) and isinstance(key, k):
                    handler = errors[k]
                    break
        if handler is not None:
            return handler
    return None


def log_exc(e):
    if sys.implementation.name == "micropython":
        sys.print_exception(e)
    else:
        import traceback

        traceback.print_exception(type(e), e, e.__traceback__)


async def answer_error(rq, status, text=None, exc=None):
    # The answer to an HttpError raised while a request was served, through
    # the app's errorhandler(status) when it has one; text: a line saying why.
    # exc: a handler raised it (status 500): the app's errorhandler for its
    # class, else logged, and a 500; the connection closes after it.
    handler = None
    if exc is not None:
        handler = handler_for(rq, exc) if _errors else None
        if handler is None:
            log_exc(exc)
        if rq._started:
            return
        rq._close = True
    allow = rq._allow
    # forget what a failed handler prepared
    rq._status = 200 if handler else status
    rq._reason = rq._hdrs = rq._clen = rq._pending = None
    rq._user_hdr = rq._ctype = False
    if handler is not None:
        await handler(rq, exc)
    else:
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
