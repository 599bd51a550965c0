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
.PHONY: help install book serve test clean lock screenshots pdf sbom badge

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

# The unit tests of the checker and the checklist, run a second time with the real clock
# moved three years ahead: a test that depends on the day it runs fails today, not in 2029.
CLOCK_TESTS := tests/checklist tests/scan tests/index tests/test_eol.py tests/test_cli.py tests/test_self_check.py

test: $(STAMP) ## run every test, then the checker's unit tests with the clock three years ahead
	@sh scripts/browser-deps.sh
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup
	$(BIN)/python -m pytest -n $(JOBS) -q --clock-ahead 3 $(CLOCK_TESTS)

screenshots: book ## PNGs of the home and checklist pages (desktop, 390 px; light, dark)
	@sh scripts/browser-deps.sh
	$(BIN)/python scripts/screenshots.py

pdf: book ## PDFs of the checklist chapter and the whole book (headless Chromium, no LaTeX)
	@sh scripts/browser-deps.sh
	$(BIN)/python scripts/pdf.py

sbom: $(STAMP) ## write a CycloneDX SBOM of the book's environment to _build/sbom.cdx.json
	@mkdir -p _build
	$(BIN)/cyclonedx-py environment --pyproject pyproject.toml --output-reproducible \
		--of JSON -o _build/sbom.cdx.json $(BIN)/python
	@echo "Wrote _build/sbom.cdx.json"

badge: $(STAMP) ## run pysecbook check on this repository and refresh _static/pysecbook-check.svg from that scan
	$(BIN)/pysecbook check . --badge _static/pysecbook-check.svg --format markdown --output _build/self-check.md; \
		status=$$?; echo "Wrote _static/pysecbook-check.svg and _build/self-check.md (exit $$status)"; exit $$status

# GuardDog, for the red-flag comparison only (bench/redflags.py): its own environment, from
# its own hashed lock; never imported by pysecbook.
GUARDDOG := bench/.venv-guarddog
$(GUARDDOG)/.installed: bench/requirements-guarddog.txt
	test -x $(GUARDDOG)/bin/python || $(PYTHON) -m venv $(GUARDDOG)
	$(GUARDDOG)/bin/python -m pip install --quiet --require-hashes --no-deps -r bench/requirements-guarddog.txt
	@touch $@

.PHONY: bench
bench: $(STAMP) $(GUARDDOG)/.installed ## measure build times, checker speed, page weight and red flags (beside GuardDog) into bench/report.md and .json
	@sh scripts/browser-deps.sh
	cd bench && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

lock: ## regenerate the hashed lock file from requirements.in (needs uv on PATH)
	uv pip compile --generate-hashes --python-version 3.11 requirements.in -o requirements.txt

clean: ## remove the built site and caches (keeps .venv)
	rm -rf _build .pytest_cache
