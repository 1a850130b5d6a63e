# Error answers and logging, loaded on first need: what the server says when a
# request fails, through the app's errorhandler when it has one.
import sys
from .status import reason
from .router import _errors, exception_handler


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
    handler = _errors.get(status)
    if handler is not None:
        await handler(rq)
    else:
        rq._add_header("Content-Type", "text/plain; charset=utf-8")
        await rq.w("%d %s%s\n" % (status, reason(status), ": " + text if text else ""))
    await rq._finish()


async def answer_exception(rq, e):
    # A handler raised: the app's errorhandler(ExceptionClass), or a logged 500.
    handler = exception_handler(e) if _errors else None
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
