# Log in with a form, see a page only when logged in, log out: a session in a
# signed cookie (web.sessions) and CSRF protection for the forms (web.csrf).
#
#   make run EXAMPLE=login    (http://127.0.0.1:8000/; HTTP_PORT=8123 for another port)
#   then open http://127.0.0.1:8000/ and log in as admin / change-me
#
# The signing key is made once and kept in session.key, so sessions survive a
# restart; whoever reads that file can forge sessions.
import os
import aiowebserver as web
from hashlib import sha256

USERS = {"admin": sha256(b"change-me").digest()}  # name -> SHA-256 of the password


def secret_key():
    try:
        with open("session.key", "rb") as f:
            return f.read()
    except OSError:
        key = os.urandom(32)
        with open("session.key", "wb") as f:
            f.write(key)
        return key


web.sessions(secret_key(), max_age=3600)  # a login lasts an hour after the last change
web.csrf()  # forms posted from other sites get 403

# the examples' shared light style (bytes: sent as it is, no copy)
STYLE = (
    b'<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,">'
    b"<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:0 auto;padding:.5em 1em;"
    b"color:#223;background:#f4f6f8}h1{font-size:1.4em;margin:.4em 0}a{color:#145aa0}"
    b"code,pre{font:.9em ui-monospace,monospace;background:#eef1f4;border-radius:4px;padding:.1em .3em}"
    b"input,button{font:inherit;padding:.35em .6em;border:1px solid #b8c0cc;border-radius:6px}"
    b"button{background:#145aa0;color:#fff;border-color:#145aa0;cursor:pointer}</style>"
)
FORM = (
    '<form method=post action=/login><p>%s<p><label>Name <input name=user autofocus></label>'
    "<p><label>Password <input name=password type=password></label>"
    "<p><button>Log in</button></form>"
)


async def page(rq, title, heading, body):
    # The page in pieces, as a board's app sends it: no 1 KB page string
    # made first (a 64 KB heap may have no free piece that big)
    rq.header_html()
    await rq.w("<!doctype html><meta charset=utf-8><title>%s</title>" % title)
    await rq.w(STYLE)
    await rq.w("<h1>%s</h1>" % heading)
    await rq.w(body)


def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def same(a, b):
    # constant time for digests of equal length
    diff = 0
    for x, y in zip(a, b):
        diff |= x ^ y
    return diff == 0


@web.route("GET", "/")
async def home(rq):
    user = rq.session.get("user")
    if user is None:
        await rq.redirect("/login")
        return
    await page(rq, "Home", "Hello, " + escape(user), "<p>Only logged-in users see this page.<form method=post action=/logout><button>Log out</button></form>")


@web.route("GET", "/login")
async def login_form(rq):
    await page(rq, "Log in", "Log in", FORM % "")


@web.route("POST", "/login")
async def login(rq):
    form = await rq.decode_postform_data()
    user = form.get("user", "")
    want = USERS.get(user)
    given = sha256(form.get("password", "").encode()).digest()
    if want is None or not same(given, want):
        rq.return_status(401)
        await page(rq, "Log in", "Log in", FORM % "<strong>Wrong name or password.</strong>")
        return
    rq.session["user"] = user  # saved as a signed cookie with this answer
    await rq.redirect("/")


@web.route("POST", "/logout")
async def logout(rq):
    rq.session.clear()  # the cookie is deleted with this answer
    await rq.redirect("/login")


if __name__ == "__main__":
    web.run_forever()
