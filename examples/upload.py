# Upload files to the board's flash, with a progress bar in the page.
#
# The browser sends multipart/form-data; the handler streams each file part
# to a file through one small buffer (`async for part in rq.parts()`), so a
# 1 MB image needs a few KB of RAM, not 1 MB. part.save() writes to
# NAME.part and renames it at the end: a failed upload leaves no half file.
#
#   make run EXAMPLE=upload    (http://127.0.0.1:8000/; HTTP_PORT=8123 for another port)
#   then open http://127.0.0.1:8000/ (files land in ./uploads, or $UPLOAD_DIR)
import os
import aiowebserver as web

# Bodies are capped at 16 KB by default; this app takes files up to 1 MB.
web.limits.max_body = 1024 * 1024 + 4096  # the file plus the multipart framing
MAX_FILE = 1024 * 1024

try:
    UPLOADS = os.getenv("UPLOAD_DIR") or "uploads"
except AttributeError:  # a board: no environment
    UPLOADS = "uploads"


def ensure_dir(path):
    try:
        os.mkdir(path)
    except OSError:
        pass  # exists already


def safe_name(filename):
    # Never trust a client's file name as a path: last component, and only
    # letters, digits, '-', '_' and '.'.
    name = filename.replace("\\", "/").split("/")[-1]
    name = "".join(c for c in name if c.isalpha() or c.isdigit() or c in "-_.")
    name = name.lstrip(".")
    if not name or name.endswith(".part"):
        name = "upload.bin"
    return name


@web.route("POST", "/upload")
async def upload(rq):
    ensure_dir(UPLOADS)
    saved = []
    async for part in rq.parts():
        if part.filename:  # a file field; text fields are skipped
            name = safe_name(part.filename)
            size = await part.save(UPLOADS + "/" + name, max_size=MAX_FILE)  # bigger: 413
            saved.append("%s (%d bytes)" % (name, size))
    rq.header_text()
    await rq.w("saved: " + (", ".join(saved) or "nothing") + "\n")


@web.route("GET", "/files")
async def files(rq):
    ensure_dir(UPLOADS)
    rq.header_text()
    names = sorted(n for n in os.listdir(UPLOADS) if not n.endswith(".part"))
    await rq.w("\n".join(names) + "\n" if names else "")


@web.errorhandler(413)
async def too_large(rq):
    rq.header_text()
    await rq.w("413: files up to %d bytes\n" % MAX_FILE)


PAGE = """<!doctype html>
<html><head><meta charset="utf-8">
<title>Upload</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,">
<style>
/* the examples' shared light style: each example carries this copy */
body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:0 auto;padding:.5em 1em;color:#223;background:#f4f6f8}
h1{font-size:1.4em;margin:.4em 0}a{color:#145aa0}
code,pre{font:.9em ui-monospace,monospace;background:#eef1f4;border-radius:4px;padding:.1em .3em}
input,button{font:inherit;padding:.35em .6em;border:1px solid #b8c0cc;border-radius:6px}
button{background:#145aa0;color:#fff;border-color:#145aa0;cursor:pointer}
</style></head><body>
<h1>Upload a file</h1>
<form id="form"><input type="file" name="file" id="file"> <button>Upload</button></form>
<progress id="bar" max="100" value="0"></progress> <span id="pct">0%</span>
<pre id="result"></pre>
<h2>Files</h2><pre id="files"></pre>
<script>
async function list() {
  document.getElementById('files').textContent = await (await fetch('/files')).text();
}
document.getElementById('form').onsubmit = (ev) => {
  ev.preventDefault();
  const xhr = new XMLHttpRequest();
  xhr.upload.onprogress = (e) => {
    if (!e.lengthComputable) return;
    const pct = Math.round(100 * e.loaded / e.total);
    document.getElementById('bar').value = pct;
    document.getElementById('pct').textContent = pct + '%';
  };
  xhr.onload = () => { document.getElementById('result').textContent = xhr.status + ' ' + xhr.responseText; list(); };
  xhr.onerror = () => { document.getElementById('result').textContent = 'upload failed'; };
  xhr.open('POST', '/upload');
  xhr.send(new FormData(document.getElementById('form')));
};
list();
</script></body></html>
"""


@web.route("GET", "/")
async def index(rq):
    await rq.w(PAGE)


if __name__ == "__main__":
    web.run_forever()
