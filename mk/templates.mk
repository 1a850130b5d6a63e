# Templates compiled ahead of time (included by the Makefile):
#   make templates                     every templates/ directory: ./templates, examples/templates
#   make templates TEMPLATES=app/views   other directories
# Each directory's templates (every file but .py) become Python modules next
# to them, and the directory a package (its __init__.py written if missing):
# views/page.html -> views/page_html.py, imported by web.render(rq, 'page.html')
# once aiowebserver.template.package = 'views' ('templates' by default).
# Freeze them with `package("templates")` in a manifest, or mpy-cross them.

TEMPLATES ?= $(wildcard templates examples/templates)

.PHONY: templates

templates: ## compile templates/ directories into Python modules (TEMPLATES=dir... to choose)
	@test -n "$(TEMPLATES)" || { echo "templates: no templates/ directory here (TEMPLATES=dir to name one)"; exit 0; }
	@for d in $(TEMPLATES); do $(PYTHON) -m aiowebserver.template_compile $$d || exit 1; done
