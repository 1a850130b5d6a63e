"""The Date header (RFC 9110 6.6.1): on every answer while the clock is set, on
none while it reads 2000 (a board before NTP)."""
import email.utils
import re
import time

import pytest

from helpers import read_response

IMF_FIXDATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d\d:\d\d:\d\d GMT$")

# A board whose clock was never set: time() counts from 2000-01-01 00:00 UTC
# (1970-based, as the unix port counts). MicroPython lets a time.py beside the
# script extend the built-in module, which the package then imports.
UNSET_CLOCK = '''import sys

_path = sys.path
sys.path = ()
try:
    from time import *  # the built-in module
finally:
    sys.path = _path
    del _path

_T0 = ticks_ms()


def time():
    return 946684800 + ticks_diff(ticks_ms(), _T0) // 1000
'''

APP = '''import time
import aiowebserver as web


@web.route("GET", "/year")
async def year(rq):
    await rq.w(str(time.gmtime(time.time())[0]))


web.run_forever()
'''


def answers(app):
    """A handler's 200, a 404, a 400 answered before any handler, and a keep-alive second answer."""
    out = [app.request("GET", "/year")[:2], app.request("GET", "/missing")[:2]]
    status, headers, _ = app.exchange(b"GET /\r\n\r\n")  # no HTTP version: 400
    out.append((status, headers))
    with app.connect() as s:
        for _ in range(2):
            s.sendall(b"GET /year HTTP/1.1\r\nHost: t\r\n\r\n")
            answer = read_response(s)
        out.append(answer[:2])
    assert [o[0] for o in out] == [200, 404, 400, 200]
    return [o[1] for o in out]


def test_every_answer_carries_the_date_in_imf_fixdate_when_the_clock_is_set(start_app, tmp_path):
    (tmp_path / "app.py").write_text(APP)
    app = start_app(str(tmp_path / "app.py"))
    assert int(app.request("GET", "/year")[2]) >= 2024
    for headers in answers(app):
        date = headers.get("date")
        assert date and IMF_FIXDATE.match(date), headers
        sent = email.utils.parsedate_to_datetime(date).timestamp()
        assert abs(sent - time.time()) < 5, date


@pytest.mark.parametrize("runtime", ["micropython", "mpy"])
def test_no_date_while_the_board_clock_reads_2000(start_app, tmp_path):
    (tmp_path / "time.py").write_text(UNSET_CLOCK)
    (tmp_path / "app.py").write_text(APP)
    app = start_app(str(tmp_path / "app.py"), cwd=str(tmp_path))
    assert app.request("GET", "/year")[2] == b"2000"  # the stand-in took effect
    for headers in answers(app):
        assert "date" not in headers, headers
