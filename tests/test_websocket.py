"""WebSocket routes (RFC 6455) as a strict client (websockets) and raw sockets see them."""
import asyncio
import base64
import hashlib
import json
import os
import struct
import subprocess
import time

import pytest
import websockets
from websockets.asyncio.client import connect

from helpers import MICROPYTHON, ROOT, read_response

APP = "ws_app.py"


def run(coro, timeout=30):
    """Run one client coroutine, bounded in time."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def url(app, path):
    return "ws://%s:%d%s" % (app.host, app.port, path)


@pytest.fixture
def ws_app(start_app, runtime):
    # the app is compiled from source at start: 64 KB of heap cannot hold that and the package
    return start_app(APP, heap="128k" if runtime == "mpy" else None)


# ---- raw sockets ----

KEY = base64.b64encode(b"0123456789abcdef").decode()


def handshake(path="/echo", key=KEY, version="13", extra=""):
    return ("GET %s HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: %s\r\n%s\r\n"
            % (path, key, version, extra)).encode()


def frame(op, payload=b"", fin=True, mask=True, rsv=0, length=None):
    """One client frame; length overrides the declared payload length."""
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | rsv | op])
    mbit = 0x80 if mask else 0
    if n < 126:
        head += bytes([mbit | n])
    elif n < 65536:
        head += bytes([mbit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([mbit | 127]) + struct.pack("!Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def recv_frame(sock):
    """(fin, opcode, payload) of the next server frame; servers never mask."""
    b0, b1 = recv_exact(sock, 2)
    assert b1 & 0x80 == 0, "a server frame was masked"
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", recv_exact(sock, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", recv_exact(sock, 8))[0]
    return bool(b0 & 0x80), b0 & 0x0F, recv_exact(sock, n)


def raw_ws(app, path="/echo", first=b""):
    """A socket past the 101 answer; `first` is sent in the same packet as the handshake."""
    sock = app.connect(timeout=10)
    sock.sendall(handshake(path) + first)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(1)  # byte by byte: frames after the head stay in the socket
        assert chunk, "closed during the handshake"
        data += chunk
    assert data.startswith(b"HTTP/1.1 101 "), data
    return sock


def expect_close(sock, code):
    fin, op, payload = recv_frame(sock)
    while op == 9:  # a server ping may come first
        fin, op, payload = recv_frame(sock)
    assert op == 8, (op, payload)
    assert struct.unpack("!H", payload[:2])[0] == code


def poll(fetch, until, timeout=10.0):
    """Ask again until the answer satisfies `until` (bounded); returns the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if until(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.05)  # polling interval of a bounded wait, not a synchronisation sleep


def seen(app, name):
    return json.loads(app.request("GET", "/seen?" + name)[2])


# ---- messages ----

def test_text_and_binary_messages_are_echoed(ws_app):
    async def client():
        async with connect(url(ws_app, "/echo")) as ws:
            await ws.send("héllo wörld")
            assert await ws.recv() == "héllo wörld"
            await ws.send(b"\x00\xffbinary")
            assert await ws.recv() == b"\x00\xffbinary"
    run(client())


def test_a_64_kb_message_arrives_whole_and_is_echoed_whole(start_app):
    ws_app = start_app(APP, heap="512k")  # the message, its copy and the echo, in a fragmented heap
    data = os.urandom(65536)

    async def client():
        async with connect(url(ws_app, "/echo"), max_size=None) as ws:
            await ws.send(data)
            assert await ws.recv() == data
    run(client())


def test_7_16_and_64_bit_lengths_both_ways(start_app):
    # two 64 KB messages in a row: room for both while the first one is collected
    ws_app = start_app(APP, heap="512k")
    async def client():
        async with connect(url(ws_app, "/echo"), max_size=None) as ws:
            for n in (0, 1, 125, 126, 127, 1000, 65535, 65536):
                data = (b"abcdefg" * (n // 7 + 1))[:n]
                await ws.send(data)
                assert await ws.recv() == data, n
    run(client())


def test_a_fragmented_message_is_reassembled(ws_app):
    async def client():
        async with connect(url(ws_app, "/echo")) as ws:
            await ws.send(["frag", "ment", "ed é"])
            assert await ws.recv() == "fragmented é"
            await ws.send([b"\x01", b"\x02" * 300, b"\x03"])
            assert await ws.recv() == b"\x01" + b"\x02" * 300 + b"\x03"
    run(client())


def test_a_ping_between_fragments_is_answered_and_the_message_still_arrives(ws_app):
    with raw_ws(ws_app) as s:
        s.sendall(frame(1, b"Hel", fin=False) + frame(9, b"are you there") + frame(0, b"lo", fin=True))
        assert recv_frame(s) == (True, 10, b"are you there")
        assert recv_frame(s) == (True, 1, b"Hello")


def test_a_frame_sent_with_the_handshake_is_not_lost(ws_app):
    with raw_ws(ws_app, first=frame(1, b"right away")) as s:
        assert recv_frame(s) == (True, 1, b"right away")


def test_a_ping_is_answered_with_a_pong(ws_app):
    async def client():
        async with connect(url(ws_app, "/echo")) as ws:
            latency = await asyncio.wait_for(await ws.ping(b"data"), 5)
            assert latency >= 0
    run(client())


def test_the_app_can_ping_the_client(ws_app):
    with raw_ws(ws_app, "/track?apping") as s:
        assert recv_frame(s) == (True, 1, b"hello /track -")
        s.sendall(frame(1, b"ping"))
        assert recv_frame(s) == (True, 9, b"server-ping")
        assert recv_frame(s) == (True, 1, b"pinged")


def test_two_chat_clients_both_get_a_broadcast(ws_app):
    async def client():
        async with connect(url(ws_app, "/chat")) as a:
            await a.send("a here")
            assert await a.recv() == "a here"  # a is in the room
            async with connect(url(ws_app, "/chat")) as b:
                await b.send("b here")
                assert await b.recv() == "b here"
                assert await a.recv() == "b here"
                await a.send("hi all")
                assert await a.recv() == "hi all"
                assert await b.recv() == "hi all"
    run(client())


# ---- subprotocols ----

def test_the_server_picks_its_preferred_subprotocol_among_those_offered(ws_app):
    async def client():
        async with connect(url(ws_app, "/proto"), subprotocols=["chat", "chat.v2"]) as ws:
            assert ws.subprotocol == "chat.v2"
            assert await ws.recv() == "protocol chat.v2"
    run(client())


def test_no_common_subprotocol_means_none_chosen(ws_app):
    status, headers, _, _ = ws_app_exchange(ws_app, handshake("/proto", extra="Sec-WebSocket-Protocol: mqtt\r\n"))
    assert status == 101 and "sec-websocket-protocol" not in headers


def ws_app_exchange(app, data):
    with app.connect() as s:
        s.sendall(data)
        return read_response(s)


# ---- the handshake ----

def test_builds_without_hashlib_sha1_compute_the_same_accept_key():
    # a unix firmware without SSL has no hashlib.sha1: the handshake falls back to _sha1
    code = ("import binascii\nfrom aiowebserver.sha1 import sha1 as _sha1\n"
            "for d in (b'', b'abc', b'x' * 55, b'y' * 56, b'z' * 200):\n"
            "    print(binascii.hexlify(_sha1(d)).decode())\n")
    out = subprocess.run([MICROPYTHON, "-c", code], env=dict(os.environ, MICROPYPATH=ROOT + ":.frozen"),
                         capture_output=True, timeout=30).stdout.decode().split()
    assert out == [hashlib.sha1(d).hexdigest() for d in (b"", b"abc", b"x" * 55, b"y" * 56, b"z" * 200)]


def test_handshake_answer_carries_the_rfc_accept_key(ws_app):
    req = handshake(key="dGhlIHNhbXBsZSBub25jZQ==")
    status, headers, _, _ = ws_app_exchange(ws_app, req)
    assert status == 101
    assert headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert headers["upgrade"].lower() == "websocket" and headers["connection"].lower() == "upgrade"


@pytest.mark.parametrize("key", ["", "not base64 at all!!!!!!!", base64.b64encode(b"short").decode(),
                                 base64.b64encode(b"seventeen bytes!!").decode()])
def test_a_missing_or_malformed_key_is_400(ws_app, key):
    assert ws_app.exchange(handshake(key=key))[0] == 400
    assert ws_app.alive()


def test_a_wrong_version_is_426_naming_version_13(ws_app):
    status, headers, _ = ws_app.exchange(handshake(version="8"))
    assert status == 426 and headers["sec-websocket-version"] == "13"


def test_a_plain_get_without_upgrade_is_426(ws_app):
    status, headers, _ = ws_app.request("GET", "/echo")
    assert status == 426 and headers["upgrade"].lower() == "websocket"


def test_connection_header_without_the_upgrade_token_is_426(ws_app):
    req = handshake().replace(b"Connection: Upgrade", b"Connection: keep-alive")
    assert ws_app.exchange(req)[0] == 426


def test_connection_header_with_several_tokens_is_accepted(ws_app):
    req = handshake().replace(b"Connection: Upgrade", b"Connection: keep-alive, Upgrade")
    assert ws_app.exchange(req)[0] == 101


def test_post_to_a_websocket_route_is_405(ws_app):
    assert ws_app.request("POST", "/echo", body=b"x")[0] == 405


# ---- protocol errors (raw sockets) ----

def test_an_unmasked_client_frame_closes_with_1002(ws_app):
    with raw_ws(ws_app) as s:
        s.sendall(frame(1, b"not masked", mask=False))
        expect_close(s, 1002)
    assert ws_app.alive()


@pytest.mark.parametrize("bad", [
    frame(1, b"x", rsv=0x40),  # RSV1 without an extension
    frame(1, b"x", rsv=0x10),  # RSV3
    frame(3, b"x"),  # reserved data opcode
    frame(0x0B, b"x"),  # reserved control opcode
    frame(0, b"x"),  # continuation with nothing to continue
    frame(9, b"x", fin=False),  # fragmented control frame
    frame(9, b"x" * 126),  # control frame over 125 bytes
], ids=["rsv1", "rsv3", "opcode3", "opcode11", "stray-continuation", "fragmented-ping", "long-ping"])
def test_protocol_violations_close_with_1002(ws_app, bad):
    with raw_ws(ws_app) as s:
        s.sendall(bad)
        expect_close(s, 1002)
    assert ws_app.alive()


def test_a_new_message_inside_a_fragmented_one_closes_with_1002(ws_app):
    with raw_ws(ws_app) as s:
        s.sendall(frame(1, b"a", fin=False) + frame(1, b"b"))
        expect_close(s, 1002)


@pytest.mark.parametrize("payload", [b"\xff", b"ok \xc3", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"],
                         ids=["ff", "truncated", "overlong", "surrogate", "past-10ffff"])
def test_invalid_utf8_in_a_text_message_closes_with_1007(ws_app, payload):
    with raw_ws(ws_app) as s:
        s.sendall(frame(1, payload))
        expect_close(s, 1007)


def test_utf8_split_across_fragments_is_valid(ws_app):
    snow = "☃".encode()
    with raw_ws(ws_app) as s:
        s.sendall(frame(1, b"a" + snow[:1], fin=False) + frame(0, snow[1:]))
        assert recv_frame(s) == (True, 1, ("a☃").encode())


def test_a_message_over_the_limit_closes_with_1009(ws_app):
    async def client():
        async with connect(url(ws_app, "/small")) as ws:
            await ws.send("x" * 900)
            assert await ws.recv() == "got 900"
            await ws.send("x" * 2000)
            with pytest.raises(websockets.ConnectionClosedError) as info:
                await ws.recv()
            assert info.value.rcvd.code == 1009
    run(client())


def test_a_huge_declared_length_is_refused_at_once_without_its_payload(ws_app):
    # only the header of a 1 GB frame is sent: the server answers 1009 without waiting for it
    with raw_ws(ws_app, "/small") as s:
        s.sendall(frame(2, length=1 << 30)[:14])
        expect_close(s, 1009)
    assert ws_app.alive()


def test_fragments_adding_up_past_the_limit_close_with_1009(ws_app):
    with raw_ws(ws_app, "/small") as s:
        s.sendall(frame(2, b"x" * 600, fin=False) + frame(0, b"y" * 600))
        expect_close(s, 1009)


# ---- closing ----

def test_the_close_handshake_echoes_the_clients_code(ws_app):
    async def client():
        ws = await connect(url(ws_app, "/echo"))
        await ws.close(code=4005, reason="bye")
        assert ws.protocol.close_rcvd.code == 4005
    run(client())


def test_an_invalid_close_code_is_answered_with_1002(ws_app):
    with raw_ws(ws_app) as s:
        s.sendall(frame(8, struct.pack("!H", 1005)))
        expect_close(s, 1002)


def test_the_server_can_close_with_its_own_code_and_reason(ws_app):
    async def client():
        async with connect(url(ws_app, "/track?srvclose")) as ws:
            assert await ws.recv() == "hello /track -"
            await ws.send("close please")
            with pytest.raises(websockets.ConnectionClosed) as info:
                await ws.recv()
            assert (info.value.rcvd.code, info.value.rcvd.reason) == (4001, "as you wish")
    run(client())
    assert poll(lambda: seen(ws_app, "srvclose"), lambda v: v[-1:] == ["close 4001"]) == [
        "open", "text", "close 4001"]


def test_the_handler_sees_open_messages_and_exactly_one_close(ws_app):
    async def client():
        async with connect(url(ws_app, "/track?normal"), additional_headers={"X-Test": "hdr"}) as ws:
            assert await ws.recv() == "hello /track hdr"
            await ws.send("a text")
            await ws.send(b"some bytes")
            await ws.close(1000)
    run(client())
    assert poll(lambda: seen(ws_app, "normal"), lambda v: v[-1:] == ["close 1000"]) == [
        "open", "text", "bytes", "close 1000"]
    assert ws_app.log().count("closed normal") == 1


def test_a_client_that_vanishes_gives_the_handler_one_close(ws_app):
    s = raw_ws(ws_app, "/track?vanish")
    assert recv_frame(s)[2] == b"hello /track -"
    s.close()  # no close frame
    assert poll(lambda: seen(ws_app, "vanish"), lambda v: v[-1:] == ["close 1006"]) == ["open", "close 1006"]
    assert ws_app.log().count("closed vanish") == 1


def test_a_handler_error_closes_with_1011_and_the_server_goes_on(ws_app):
    async def client():
        async with connect(url(ws_app, "/track?fail")) as ws:
            await ws.recv()
            await ws.send("fail")
            with pytest.raises(websockets.ConnectionClosedError) as info:
                await ws.recv()
            assert info.value.rcvd.code == 1011
    run(client())
    assert poll(lambda: seen(ws_app, "fail"), lambda v: v[-1:] == ["close 1011"])[-1] == "close 1011"
    assert "handler bug for the test" in ws_app.log()
    assert ws_app.alive()


def test_a_task_sending_to_a_closed_socket_gets_connection_closed(ws_app):
    async def client():
        async with connect(url(ws_app, "/ticker?t1")) as ws:
            for _ in range(3):
                assert (await ws.recv()).startswith("tick ")
    run(client())
    assert poll(lambda: seen(ws_app, "t1"), lambda v: "ticker stopped" in v)[-2:] in (
        ["close", "ticker stopped"], ["ticker stopped", "close"])


def test_a_task_sending_to_a_client_that_never_reads_gets_connection_closed(ws_app):
    # write_timeout is 3 s in the app: the stalled send ends the socket, the task hears of it
    with raw_ws(ws_app, "/flood?stalled") as s:
        log = poll(ws_app.log, lambda log: "flood stopped stalled" in log, timeout=20)
        assert "flood stopped stalled" in log
        assert log.count("flood closed stalled") == 1
    assert ws_app.alive()


def test_server_pings_detect_a_dead_peer(ws_app):
    # /pinger pings every second and gives up one second after a silent peer's deadline
    with raw_ws(ws_app, "/pinger?dead") as s:
        s.settimeout(10)
        fin, op, payload = recv_frame(s)
        assert op == 9  # the server's ping; this client never answers
        ended = poll(ws_app.log, lambda log: "pinger closed dead" in log)
        assert "pinger closed dead 1006" in ended


def test_a_peer_that_answers_pings_stays_connected(ws_app):
    # four pings a second apart, each answered: the server's 2 s dead-peer limit never passes
    with raw_ws(ws_app, "/pinger?alive") as s:
        s.settimeout(5)
        for _ in range(4):
            fin, op, payload = recv_frame(s)
            assert op == 9
            s.sendall(frame(10, payload))
        s.sendall(frame(8, struct.pack("!H", 1000)))
        expect_close(s, 1000)
    assert "pinger closed alive 1000" in poll(ws_app.log, lambda log: "pinger closed alive" in log)


def test_server_stop_closes_websockets_with_1001_and_one_close_event(ws_app):
    async def client():
        async with connect(url(ws_app, "/track?stop")) as ws:
            await ws.recv()
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, ws_app.request, "GET", "/stop")
            with pytest.raises(websockets.ConnectionClosed) as info:
                await ws.recv()
            assert info.value.rcvd is not None and info.value.rcvd.code == 1001
    run(client())
    ws_app.proc.wait(10)
    assert ws_app.log().count("closed stop 1001") == 1


def test_streams_beyond_the_cap_get_503_and_plain_pages_still_load(start_app):
    # 10 connections (the default): at most 8 of them long-lived, so the page itself always loads.
    # A WebSocket holds about 6 KB of MicroPython heap (1 KB of it the head buffer).
    ws_app = start_app(APP, heap="256k")
    async def client():
        socks = [await connect(url(ws_app, "/echo")) for _ in range(8)]
        try:
            with pytest.raises(websockets.InvalidStatus) as info:
                await connect(url(ws_app, "/echo"))
            assert info.value.response.status_code == 503
            loop = asyncio.get_running_loop()
            status = (await loop.run_in_executor(None, ws_app.request, "GET", "/seen?x"))[0]
            assert status == 200
            await socks.pop().close()
            deadline = time.monotonic() + 10
            while True:  # the freed slot is counted when the server has closed that socket
                try:
                    socks.append(await connect(url(ws_app, "/echo")))
                    break
                except websockets.InvalidStatus:
                    assert time.monotonic() < deadline
                    await asyncio.sleep(0.05)  # polling interval of a bounded wait
            await socks[-1].send("still fine")
            assert await socks[-1].recv() == "still fine"
        finally:
            for s in socks:
                await s.close()
    run(client())
