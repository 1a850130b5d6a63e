# Status texts and redirects; loaded on the first answer that is not a plain
# 200. (The complete answers to errors found before a handler ran, and the
# close after an error answer, are linger.py: a 64 KB heap loads this module
# for a redirect or a 404 with less room, .mpy 0.9 KB instead of 1.9 KB.)

# Constant strings instead of a dict: frozen, they cost no RAM. Loaded from
# a .mpy file each is one piece of heap, so the table is cut into pieces of
# at most 250 bytes: in one 720-byte string it found no room in a fragmented
# heap (64 KB, 7.9 KB free: the login example's redirect got a 503).
_REASONS = (
    "|100Continue|101Switching Protocols|200OK|201Created|202Accepted"
    "|204No Content|206Partial Content|301Moved Permanently|302Found",
    "|303See Other|304Not Modified|307Temporary Redirect|308Permanent Redirect"
    "|400Bad Request|401Unauthorized|403Forbidden|404Not Found",
    "|405Method Not Allowed|406Not Acceptable|408Request Timeout|409Conflict"
    "|410Gone|411Length Required|412Precondition Failed|413Content Too Large",
    "|414URI Too Long|415Unsupported Media Type|416Range Not Satisfiable"
    "|417Expectation Failed|426Upgrade Required|428Precondition Required"
    "|429Too Many Requests|431Request Header Fields Too Large",
    "|500Internal Server Error|501Not Implemented|502Bad Gateway"
    "|503Service Unavailable|504Gateway Timeout|505HTTP Version Not Supported",
)


def reason(status):
    key = "|%d" % status
    for text in _REASONS if 99 < status < 1000 else ():
        i = text.find(key)
        if i >= 0:
            j = text.find("|", i + 4)
            return text[i + 4 : j] if j > 0 else text[i + 4 :]
    return "Unknown"


async def redirect(rq, url, permanent=False):
    # rq.redirect(): 302 (301 when permanent) with Location and an empty body
    rq.return_status(301 if permanent else 302)
    rq.header("Location", url)
