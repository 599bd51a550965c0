# Set-up and everyday commands of the Python security book.
# `make book` and `make test` each do all the set-up on a fresh machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The SBOM generator's own environment (requirements-sbom.in): kept out of .venv, whose
# every build command would otherwise pay its imports (README, "Building").
SBOM_VENV  := .venv-sbom
SBOM_STAMP := $(SBOM_VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
JOBS   ?= auto

.DEFAULT_GOAL := help
.PHONY: help install sbom-env importable book serve test clean lock screenshots pdf sbom badge

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# The environment: hashed dependencies first, then the package itself without dependencies.
# Every variable the script reads is given here, so none comes from the caller's environment.
$(STAMP): requirements.txt pyproject.toml scripts/bootstrap.sh scripts/prune_venv.py
	@PYTHON=$(PYTHON) VENV=$(VENV) REQUIREMENTS=requirements.txt PYSECBOOK_INSTALL_SELF=yes \
		sh scripts/bootstrap.sh
	@touch $@

$(SBOM_STAMP): requirements-sbom.txt scripts/bootstrap.sh scripts/prune_venv.py
	@PYTHON=$(PYTHON) VENV=$(SBOM_VENV) REQUIREMENTS=requirements-sbom.txt PYSECBOOK_INSTALL_SELF=no \
		sh scripts/bootstrap.sh
	@touch $@

# Every page and most tests import pysecbook: say so in one line, before hundreds of
# ModuleNotFoundError, if the environment (made now or by an earlier run) cannot import it.
importable: $(STAMP)
	@$(BIN)/python -c "import pysecbook" >/dev/null 2>&1 || { echo "make: pysecbook is not \
	importable from $(VENV); remove $(VENV) and run make again." >&2; exit 2; }

install: $(STAMP) $(SBOM_STAMP) ## create .venv (and .venv-sbom) from the hashed lock files, with pysecbook

sbom-env: $(SBOM_STAMP) ## create .venv-sbom, the SBOM generator's own environment (a page runs it)

# Pages execute in parallel (JOBS at a time, default: the usable cores), then Sphinx reads
# them from the cache: see scripts/build_book.py and README, "Building".
book: $(STAMP) $(SBOM_STAMP) importable ## build the site into _build/html (strict: warnings are errors)
	$(BIN)/python scripts/build_book.py --jobs $(JOBS)
	@echo "Open file://$(CURDIR)/_build/html/index.html, or run 'make serve'."

serve: ## serve the built site on http://127.0.0.1:8000
	@test -f _build/html/index.html || { echo "No site yet: run 'make book' first." >&2; exit 2; }
	@echo "Serving http://$(HOST):$(PORT)/ (Ctrl+C to stop)"
	$(BIN)/python -m http.server --bind $(HOST) --directory "$(CURDIR)/_build/html" $(PORT)

# The unit tests of the checker and the checklist, run a second time with the real clock
# moved three years ahead: a test that depends on the day it runs fails today, not in 2029.
CLOCK_TESTS := tests/checklist tests/scan tests/index tests/test_eol.py tests/test_cli.py tests/test_self_check.py

# Both runs go in a random order (pytest-randomly), each with its own seed, printed at the
# end: CONTRIBUTING.md, "Tests", says how to run a failing order again.
test: $(STAMP) $(SBOM_STAMP) importable ## run every test (random order), then the checker's with the clock 3 years ahead
	@sh scripts/browser-deps.sh
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup
	$(BIN)/python -m pytest -n $(JOBS) -q --clock-ahead 3 $(CLOCK_TESTS)

screenshots: book ## PNGs of the home and checklist pages (desktop, 390 px; light, dark)
	@sh scripts/browser-deps.sh
	$(BIN)/python scripts/screenshots.py

pdf: book ## PDFs of the checklist chapter and the whole book (headless Chromium, no LaTeX)
	@sh scripts/browser-deps.sh
	$(BIN)/python scripts/pdf.py

sbom: $(STAMP) $(SBOM_STAMP) ## write a CycloneDX SBOM of the book's environment to _build/sbom.cdx.json
	@mkdir -p _build
	$(SBOM_VENV)/bin/cyclonedx-py environment --pyproject pyproject.toml --output-reproducible \
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

lock: ## regenerate the hashed lock files from requirements*.in (needs uv on PATH)
	uv pip compile --generate-hashes --python-version 3.11 requirements.in -o requirements.txt
	uv pip compile --generate-hashes --python-version 3.11 requirements-sbom.in -o requirements-sbom.txt

clean: ## remove the built site and caches (keeps .venv)
	rm -rf _build .pytest_cache
