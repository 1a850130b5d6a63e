# HTTPS helpers, loaded on first use: a server context from certificate
# files, rq.scheme, and wrapping an accepted connection. The TLS itself is the port's ssl module (mbedTLS on
# MicroPython); server.start(ssl=ctx) wraps each accepted connection.


def tls_context(certfile, keyfile):
    # A server-side SSLContext from a certificate and its private key,
    # PEM or DER files, on MicroPython and CPython alike (MicroPython's mbedTLS
    # may be built without PEM: PEM is turned into DER here).
    try:  # MicroPython: its native context (ssl.SSLContext wraps it; no need to load ssl.py)
        from tls import SSLContext, PROTOCOL_TLS_SERVER

        certfile, keyfile = _der(certfile), _der(keyfile)  # DER bytes
    except ImportError:  # CPython
        from ssl import SSLContext, PROTOCOL_TLS_SERVER
    ctx = SSLContext(PROTOCOL_TLS_SERVER)  # server side: verify_mode CERT_NONE (MicroPython: as ssl.py sets it)
    ctx.load_cert_chain(certfile, keyfile)
    return ctx


async def wrap_socket(ssl, conn):
    # MicroPython: the server side of a newly accepted connection (server's
    # accept loop; the handshake happens in its first read). mbedTLS takes
    # the connection's buffers (24 KB on a C3, 16 KB of them in one piece)
    # from the C heap, not MicroPython's: short of it (ENOMEM), make way as
    # for the Python heap (close an idle keep-alive connection, or wait for
    # one to end) and try again, up to limits.wait_timeout.
    from .server import limits, _make_way, ticks_add, ticks_ms

    try:  # TCP_NODELAY (Linux and lwIP values): mbedTLS sends a record per write
        conn.setsockopt(6, 1, 1)
    except OSError:
        pass
    deadline = ticks_add(ticks_ms(), limits.wait_timeout * 1000)
    while True:
        try:
            return ssl.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        except MemoryError:  # the SSLSocket object (520 B on 64-bit) found no piece that big
            if not await _make_way(deadline):
                raise
        except OSError as e:
            if e.errno != 12 or not await _make_way(deadline):  # 12: ENOMEM (Linux, lwIP/newlib)
                raise


def _der(path):
    # The first PEM block of a file as DER bytes; a DER file as is.
    with open(path, "rb") as f:
        data = f.read()
    begin = data.find(b"-----BEGIN ")
    if begin < 0:
        return data
    from binascii import a2b_base64

    start = data.find(b"\n", begin) + 1
    end = data.find(b"-----END ", start)
    if start <= 0 or end < 0:
        raise ValueError("bad PEM file: " + path)
    return a2b_base64(data[start:end])


def get_scheme(rq):
    # 'https' when the request came over TLS, else 'http'.
    try:
        tls = rq._writer.get_extra_info("sslcontext")
    except KeyError:  # MicroPython's Stream: no such key on a plain connection
        tls = None
    return "https" if tls else "http"
