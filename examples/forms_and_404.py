# Forms three ways (GET query, POST urlencoded, POST JSON with fetch()) and a
# custom 404 page.
#   make run EXAMPLE=forms_and_404    (http://127.0.0.1:8000/; HTTP_PORT=8123 for another port)
import aiowebserver as web

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Forms</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,">
<style>
/* the examples' shared light style: each example carries this copy */
body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:0 auto;padding:.5em 1em;color:#223;background:#f4f6f8}
h1{font-size:1.4em;margin:.4em 0}a{color:#145aa0}
code,pre{font:.9em ui-monospace,monospace;background:#eef1f4;border-radius:4px;padding:.1em .3em}
input,button{font:inherit;padding:.35em .6em;border:1px solid #b8c0cc;border-radius:6px}
button{background:#145aa0;color:#fff;border-color:#145aa0;cursor:pointer}
</style></head>
<body><h1>Forms</h1>
<form method="get" action="/get"><input name="name" value="Ada"><button>GET</button></form>
<form method="post" action="/post"><input name="name" value="Grace"><label>
<input type="checkbox" name="admin">admin</label><button>POST</button></form>
<p><button id="json">POST JSON with fetch()</button> <span id="out"></span></p>
<script>
document.getElementById('json').onclick = async () => {
  const r = await fetch('/json', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                  body: JSON.stringify({name: 'Linus', n: 42})});
  document.getElementById('out').textContent = await r.text();
};
</script></body></html>"""


def esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@web.route("GET", "/")
async def index(rq):
    await rq.w(PAGE)


@web.route("GET", "/get")
async def get_form(rq):
    data = await rq.decode_query_data()
    await rq.w("<p>GET form: name=%s</p><a href='/'>back</a>" % esc(data.get("name", "")))


@web.route("POST", "/post")
async def post_form(rq):
    if not rq.is_postform():
        await rq.return_status(415)
        await rq.w("expected a form")
        return
    data = await rq.decode_postform_data()
    await rq.w("<p>POST form: name=%s admin=%s</p><a href='/'>back</a>"
               % (esc(data.get("name", "")), "admin" in data))


@web.route("POST", "/json")
async def post_json(rq):
    if not rq.is_postjson():
        await rq.return_status(415)
        await rq.w("expected JSON")
        return
    data = await rq.decode_postjson_data()
    await rq.header_json()
    await rq.w('{"hello": "%s", "n": %d}' % (esc(data.get("name", "")), int(data.get("n", 0))))


@web.e404()
async def not_found(rq):
    await rq.return_status(404)
    await rq.w("<h1>Nothing here</h1><p>%s does not exist. <a href='/'>Home</a></p>" % esc(rq.path))


web.run_forever()
