# HTTPS helpers, loaded on first use: a server context from certificate
# files, and rq.scheme. The TLS itself is the port's ssl module (mbedTLS on
# MicroPython); server.start(ssl=ctx) wraps each accepted connection.


def tls_context(certfile, keyfile):
    # A server-side ssl.SSLContext from a certificate and its private key,
    # PEM or DER files, on MicroPython and CPython alike (MicroPython's mbedTLS
    # may be built without PEM: PEM is turned into DER here).
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if not hasattr(ssl, "Purpose"):  # MicroPython: the key and certificate as DER bytes
        ctx.load_cert_chain(_der(certfile), _der(keyfile))
    else:
        ctx.load_cert_chain(certfile, keyfile)
    return ctx


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
