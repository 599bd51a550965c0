# Set-up and everyday commands of the Python security book.
# `make book` and `make test` each do all the set-up on a fresh machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
JOBS   ?= auto

.DEFAULT_GOAL := help
.PHONY: help install book serve test clean lock

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# The environment: hashed dependencies first, then the package itself without dependencies.
$(STAMP): requirements.txt pyproject.toml scripts/bootstrap.sh
	@PYTHON=$(PYTHON) VENV=$(VENV) sh scripts/bootstrap.sh
	@touch $@

install: $(STAMP) ## create .venv and install the hashed lock file and pysecbook

book: $(STAMP) ## build the site into _build/html (strict: warnings are errors)
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "Open file://$(CURDIR)/_build/html/index.html, or run 'make serve'."

serve: ## serve the built site on http://127.0.0.1:8000
	@test -f _build/html/index.html || { echo "No site yet: run 'make book' first." >&2; exit 2; }
	@echo "Serving http://$(HOST):$(PORT)/ (Ctrl+C to stop)"
	$(BIN)/python -m http.server --bind $(HOST) --directory "$(CURDIR)/_build/html" $(PORT)

test: $(STAMP) ## run every test
	@sh scripts/browser-deps.sh
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup

lock: ## regenerate the hashed lock file from requirements.in (needs uv on PATH)
	uv pip compile --generate-hashes --python-version 3.11 requirements.in -o requirements.txt

clean: ## remove the built site and caches (keeps .venv)
	rm -rf _build .pytest_cache
