# A catch-all DNS responder for the setup portal: every A query is answered
# with one address (the access point's), so a phone's probes and any name
# typed reach the board. Loaded only in setup mode.
#
# MicroPython's asyncio has no datagram endpoint, and waiting for a UDP socket
# through asyncio.StreamReader would read the datagram without its sender. So
# the task polls a non-blocking socket: recvfrom() until EAGAIN, then
# sleep_ms(_POLL_MS). Public API only; one system call per 25 ms in setup mode.
import asyncio
import sys

try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

_MPY = sys.implementation.name == "micropython"
_POLL_MS = const(25)
_MAX = const(512)  # a DNS message over UDP (without EDNS)
_TTL = const(30)  # seconds: short, the phone leaves this network soon
_A = const(1)
_ANY = const(255)
_IN = const(1)
# the answer record: a pointer to the question's name (offset 12), type A,
# class IN, TTL, 4 bytes of address follow
_RECORD = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00" + bytes((_TTL, 0, 4))


def reply(query, ip4):
    # The answer to one query (bytes), or None to stay silent (not a query,
    # or too short to echo its id). ip4: the 4 address bytes.
    n = len(query)
    if n < 12 or query[2] & 0x80:  # no header, or a response (never answer those)
        return None
    flags = query[2]
    rd = flags & 1
    if (flags >> 3) & 15:  # an opcode other than QUERY: NOTIMP, no question
        return query[:2] + bytes((0x80 | (flags & 0x78) | rd, 4, 0, 0, 0, 0, 0, 0, 0, 0))
    # exactly one question: a name of labels up to 63 bytes (no compression),
    # at most 255 bytes, then type and class
    i = 12
    ok = query[4] == 0 and query[5] == 1
    while ok:
        if i >= n:
            ok = False
            break
        size = query[i]
        if size == 0:
            break
        if size > 63:
            ok = False
            break
        i += size + 1
    end = i + 5  # the zero byte, type, class
    if not ok or end > n or end - 12 > 259:
        # FORMERR with the id echoed and no question
        return query[:2] + bytes((0x80 | rd, 1, 0, 0, 0, 0, 0, 0, 0, 0))
    qtype = query[i + 1] << 8 | query[i + 2]
    qclass = query[i + 3] << 8 | query[i + 4]
    found = (qtype == _A or qtype == _ANY) and qclass == _IN
    # QR, AA, RD as asked, RA; one question, one or no answer
    head = query[:2] + bytes((0x84 | rd, 0x80, 0, 1, 0, 1 if found else 0, 0, 0, 0, 0))
    if found:
        return head + query[12:end] + _RECORD + ip4
    return head + query[12:end]


def _ip4(ip):
    return bytes(int(part) for part in ip.split("."))


def bind(host="0.0.0.0", port=53):
    # A bound, non-blocking UDP socket; OSError when the port is taken or
    # needs privileges (53 on a PC).
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(socket.getaddrinfo(host, port)[0][-1])
    except BaseException:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


async def run(sock, ip):
    # Answer queries on sock with address ip ("192.168.4.1") until cancelled;
    # the caller closes sock. Nothing a packet or a full heap does ends it.
    addr4 = _ip4(ip)
    while True:
        wait = 0
        try:
            query, peer = sock.recvfrom(_MAX)
            answer = reply(query, addr4)
            if answer is not None:
                sock.sendto(answer, peer)
        except OSError:  # EAGAIN: nothing waiting (or a send refused): look again soon
            wait = _POLL_MS
        except MemoryError:  # no 512 bytes free in one piece just now
            import gc

            gc.collect()
            wait = _POLL_MS
        except Exception:  # noqa: BLE001  a packet reply() did not foresee: dropped
            pass
        # after a packet yield once, so a flood cannot starve the other tasks
        await (asyncio.sleep_ms(wait) if _MPY else asyncio.sleep(wait / 1000))
