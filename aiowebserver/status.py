# Status texts, complete error answers and redirects; loaded on the first
# answer that is not a plain 200. (The close after an error answer is
# linger.py: a 64 KB heap loads this module for a redirect or a 404 with
# less room, .mpy 1.2 KB instead of 1.9 KB.)

# One constant string instead of a dict: frozen, it costs no RAM.
_REASONS = (
    "|100Continue|101Switching Protocols|200OK|201Created|202Accepted"
    "|204No Content|206Partial Content|301Moved Permanently|302Found"
    "|303See Other|304Not Modified|307Temporary Redirect|308Permanent Redirect"
    "|400Bad Request|401Unauthorized|403Forbidden|404Not Found"
    "|405Method Not Allowed|406Not Acceptable|408Request Timeout|409Conflict"
    "|410Gone|411Length Required|412Precondition Failed|413Content Too Large"
    "|414URI Too Long|415Unsupported Media Type|416Range Not Satisfiable"
    "|417Expectation Failed|426Upgrade Required|428Precondition Required"
    "|429Too Many Requests|431Request Header Fields Too Large"
    "|500Internal Server Error|501Not Implemented|502Bad Gateway"
    "|503Service Unavailable|504Gateway Timeout|505HTTP Version Not Supported|"
)


def reason(status):
    i = _REASONS.find("|%d" % status)
    if i < 0:
        return "Unknown"
    return _REASONS[i + 4 : _REASONS.find("|", i + 4)]


def error_response(status):
    # A complete answer that closes the connection, for errors found before a
    # handler could run (bad head, overload, timeout).
    from .request import date_line

    text = reason(status)
    return (
        "HTTP/1.1 %d %s\r\n%sContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: %d\r\nConnection: close\r\n\r\n%d %s\n"
        % (status, text, date_line().decode(), len(text) + 5, status, text)
    ).encode()


async def redirect(rq, url, permanent=False):
    # rq.redirect(): 302 (301 when permanent) with Location and an empty body
    rq.return_status(301 if permanent else 302)
    rq.header("Location", url)
