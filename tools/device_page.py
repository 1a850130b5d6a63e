"""Writes aiowebserver/device_page.py: tools/device_page.html gzipped into a
bytes constant (frozen, it costs flash, not heap). Run after editing the page:
    .venv/bin/python tools/device_page.py
"""
import gzip
import os
import re
import zlib

WBITS = 10  # aiowebserver/device.py unpacks with the same

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "device_page.html")
TARGET = os.path.join(os.path.dirname(HERE), "aiowebserver", "device_page.py")


def minify(html):
    # leading indentation and blank lines only: the page stays readable
    return "\n".join(line.strip() for line in html.splitlines() if line.strip()) + "\n"


def build():
    with open(SOURCE, encoding="utf-8") as f:
        page = minify(f.read()).encode()
    # a 1 KB window (wbits 10): a client without gzip gets the page unpacked
    # on the board, which then needs only that much heap (deflate.DeflateIO)
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + WBITS, 9)
    packed = z.compress(page) + z.flush()
    packed = packed[:4] + b"\0\0\0\0" + packed[8:]  # mtime 0: the same bytes every time
    assert gzip.decompress(packed) == page
    lines = ["# The device page (tools/device_page.html), gzipped; written by tools/device_page.py.",
             "# %d bytes of HTML, %d gzipped." % (len(page), len(packed)),
             "PAGE_GZ = ("]
    for i in range(0, len(packed), 48):
        lines.append("    %r" % packed[i:i + 48])
    lines.append(")")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    text = build()
    with open(TARGET, "w") as f:
        f.write(text)
    print("%s: %s" % (os.path.relpath(TARGET), re.search(r"# (.*gzipped)", text).group(1)))
