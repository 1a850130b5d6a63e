# HTTPS with a self-signed certificate. Make the key and certificate once
# (PEM files; on the board copy both next to main.py):
#
#   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 -subj /CN=aiowebserver.local -addext subjectAltName=DNS:aiowebserver.local,DNS:localhost,IP:127.0.0.1 -keyout key.pem -out cert.pem
#
# in the repository root, then run this (make run EXAMPLE=https)
# and open https://127.0.0.1:8443/ (the browser warns once: the
# certificate is signed by itself, not by an authority it knows), or
#   curl --cacert cert.pem https://127.0.0.1:8443/
# An EC (P-256) key makes the handshake about 10x cheaper than RSA-2048 on a
# chip: docs/https.md.
import aiowebserver as web


@web.route("GET", "/")
async def index(rq):
    await rq.w("Hello over %s!\n" % rq.scheme)


web.run_forever(port=8443, ssl=web.tls_context("cert.pem", "key.pem"))
