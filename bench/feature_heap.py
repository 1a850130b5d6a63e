# Heap cost of the optional features (sessions, CSRF, route groups, templates): what
# `import aiowebserver` plus one route holds, and what each feature adds once
# set up and used for two requests (TestClient, so no socket: a session saved
# then read back, a refused cross-site POST, a group route, a template of
# one loop rendered, its compiled module included) over a plain route
# set up and used the same way, as gc.mem_alloc() growth after gc.collect()
# on the MicroPython unix port.
#
#   python3 bench/feature_heap.py [--pads N]          # the table: .py, .mpy, frozen (after `make unix`)
#   micropython bench/feature_heap.py FEATURE PAD     # one probe (run by the above)
#
# The qstr pool grows in steps, so one probe can land on a step: each figure
# is the mean over N runs with 0, 7, 14, ... dummy qstrs made first.
import sys

FEATURES = ("base", "sessions", "csrf", "group", "template")
# the template probe's page, compiled into a package `templates` by the caller
TEMPLATE = "<ul>{% for i in items %}<li>{{ i }}</li>{% endfor %}</ul>"

if sys.implementation.name == "micropython":
    import gc

    feature = sys.argv[1]
    pad = int(sys.argv[2])

    class _Pad:
        pass

    for i in range(pad):
        setattr(_Pad, "qstr_pad_%d" % i, None)
    import asyncio  # the server's own dependency, left out of the figures

    gc.collect()
    start = gc.mem_alloc()
    import aiowebserver as web

    @web.route("GET", "/")
    async def index(rq):
        await rq.w("hello")

    gc.collect()
    base = gc.mem_alloc()
    from aiowebserver.testing import TestClient  # the request's driver, left out too

    client = TestClient()
    gc.collect()
    driver = gc.mem_alloc()

    if feature == "sessions":
        web.sessions("0123456789abcdef0123456789abcdef")

        @web.route("GET", "/use")
        async def use(rq):
            rq.session["n"] = rq.session.get("n", 0) + 1
            await rq.w("n")

        req = ("GET", "/use", None)
    elif feature == "csrf":
        web.csrf()

        @web.route("POST", "/use")
        async def use(rq):
            await rq.w("ok")

        req = ("POST", "/use", {"Origin": "http://evil.example"})
    elif feature == "group":
        api = web.Group()

        @api.route("GET", "/use")
        async def use(rq):
            await rq.w("ok")

        @api.errorhandler(404)
        async def api404(rq):
            await rq.w("none")

        web.mount("/api", api)
        req = ("GET", "/api/use", None)
    elif feature == "template":
        sys.path.insert(0, sys.argv[3])

        @web.route("GET", "/use")
        async def use(rq):
            await web.render(rq, "use.html", items=range(3))

        req = ("GET", "/use", None)
    else:

        @web.route("GET", "/use")
        async def use(rq):
            await rq.w("ok")

        req = ("GET", "/use", None)
    gc.collect()
    setup = gc.mem_alloc()
    for _ in range(2):  # the second request: the session cookie comes back
        res = asyncio.run(client.request(req[0], req[1], headers=req[2]))
    gc.collect()
    print("HEAP", base - start, setup - driver, gc.mem_alloc() - setup, res.status)
else:
    import os
    import subprocess

    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    binary = os.path.join(os.path.dirname(sys.executable), "micropython")
    pads = int(sys.argv[sys.argv.index("--pads") + 1]) if "--pads" in sys.argv else 20

    def mpy_dir():
        import tempfile

        out = tempfile.mkdtemp()
        for package in ("aiowebserver", "templates"):
            os.mkdir(os.path.join(out, package))
            src = os.path.join(root, package) if package == "aiowebserver" else os.path.join(tpl, "templates")
            for name in sorted(os.listdir(src)):
                if name.endswith(".py"):
                    subprocess.run([os.path.join(os.path.dirname(binary), "mpy-cross"), "-o",
                                    os.path.join(out, package, name[:-3] + ".mpy"),
                                    os.path.join(src, name)], check=True)
        return out

    def template_dir():
        import tempfile

        sys.path.insert(0, root)
        from aiowebserver.template_compile import compile_dir

        out = tempfile.mkdtemp()
        os.mkdir(os.path.join(out, "templates"))
        with open(os.path.join(out, "templates", "use.html"), "w") as f:
            f.write(TEMPLATE)
        compile_dir(os.path.join(out, "templates"))
        return out

    tpl = template_dir()

    frozen = os.path.join(root, "firmware", "micropython-unix")  # `make unix`, when built

    def probe(path, feature, pad):
        # path None: the package frozen into firmware/micropython-unix
        env = dict(os.environ, MICROPYPATH=(path + ":" if path else "") + ".frozen")
        where = tpl if path in (root, None) else path  # the template's module: .py, or .mpy beside the package
        out = subprocess.run([binary if path else frozen, "-X", "heapsize=1m", __file__, feature, str(pad), where],
                             env=env, stdout=subprocess.PIPE, check=True).stdout.decode()
        line = [x for x in out.splitlines() if x.startswith("HEAP")][0].split()
        return [int(x) for x in line[1:4]]

    print("| package | import + one route | sessions adds | CSRF adds | a group adds | a template adds |")
    print("|---|---|---|---|---|---|")
    packages = [(".py", root), (".mpy", mpy_dir())]
    if os.path.exists(frozen):
        packages.append(("frozen", None))
    for label, path in packages:
        cost = {}
        for feature in FEATURES:
            runs = [probe(path, feature, 7 * i) for i in range(pads)]
            cost[feature] = [sum(r[k] for r in runs) // len(runs) for k in range(3)]
        plain = cost["base"][1] + cost["base"][2]  # a plain route set up and used the same way
        adds = ["%d B" % (cost[f][1] + cost[f][2] - plain) for f in FEATURES[1:]]
        print("| %s | %d B | %s |" % (label, cost["base"][0], " | ".join(adds)))
