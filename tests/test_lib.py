"""The library as a user gets it from a clone: the docs stand alone, and
`make lib` compiles and copies the package onto a stock MicroPython board."""
import os
import re

from helpers import ROOT

DOCS = ["README.md", "firmware/README.md", "bench/README.md", "boards/README.md"] + [
    "docs/" + n for n in sorted(os.listdir(os.path.join(ROOT, "docs"))) if n.endswith(".md")]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_every_link_in_the_docs_stays_inside_the_repository_and_finds_its_file():
    for doc in DOCS:
        path = os.path.join(ROOT, doc)
        if not os.path.isfile(path):
            continue
        text = open(path, encoding="utf-8").read()
        assert "OWNER" not in text, doc + ": a placeholder instead of a real name"
        for target in LINK.findall(text):
            if target.startswith(("http://", "https://", "#", "mailto:")):
                continue
            target = target.split("#")[0]
            full = os.path.normpath(os.path.join(os.path.dirname(path), target))
            assert full.startswith(ROOT + os.sep), "%s links outside the repository: %s" % (doc, target)
            assert os.path.exists(full), "%s links to a missing file: %s" % (doc, target)


def test_the_api_reference_names_every_public_name_and_rq_method():
    api = open(os.path.join(ROOT, "docs", "api.md"), encoding="utf-8").read()
    init = open(os.path.join(ROOT, "aiowebserver", "__init__.py")).read()
    request = open(os.path.join(ROOT, "aiowebserver", "request.py")).read()
    lazy = re.findall(r'^\s+"(\w+)": "\w+",$', init, re.M)
    ext = re.findall(r'^\s+"(\w+)": "\w+",$', request.split("_EXT = {")[1].split("}")[0], re.M)
    assert "route_ws" in lazy and "sendfile" in ext  # the tables were found
    exported = re.search(r"from \.router import (.+)", init).group(1).split(", ")
    for name in lazy + exported:
        assert "`web.%s" % name in api or "`%s(" % name in api or "`%s`" % name in api, name
    for name in ext + ["r", "w", "return_status", "header", "header_html", "header_text", "header_json"]:
        assert "rq.%s" % name in api, "rq." + name
    # one ## section per area, each in the table of contents
    for title in re.findall(r"^## (.+)$", api, re.M):
        anchor = re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
        assert "(#%s)" % anchor in api, "no contents line for ## " + title
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    assert "(docs/api.md)" in readme
