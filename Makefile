# Two commands do everything on a fresh Debian/Ubuntu machine with Python 3.11+:
#   make demo   -- set up, then write the lecture diagrams, figures and HTML walk-through
#   make test   -- set up, then run the linters and the whole test suite
# and for whoever edits texts:
#   make i18n   -- regenerate the message catalogues (after editing a .po file or adding a message)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= build/lecture

.PHONY: demo test lint bench i18n clean

$(VENV)/.stamp-demo: setup.cfg pyproject.toml
	@bash scripts/ensure_venv.sh $(PYTHON) $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[notebook]"
	@touch $@

$(VENV)/.stamp-all: setup.cfg pyproject.toml
	@bash scripts/ensure_venv.sh $(PYTHON) $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[all]"
	@touch $@ $(VENV)/.stamp-demo

demo: $(VENV)/.stamp-demo
	@bash scripts/ensure_system_deps.sh dot neato
	$(PY) -m graphviz_autodiff demo --out $(OUT)

lint: $(VENV)/.stamp-all
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

test: lint
	@bash scripts/ensure_system_deps.sh dot neato chromium bwrap
	$(PY) -m pytest

# After editing a catalogue (graphviz_autodiff/i18n/locale/<lang>/LC_MESSAGES/graphviz_autodiff.po) or adding
# tr("new.key") to the code: regenerate the template, update every catalogue, compile the .mo files (Babel).
i18n: $(VENV)/.stamp-all
	$(PY) -m graphviz_autodiff.i18n

bench: $(VENV)/.stamp-all
	@bash scripts/ensure_system_deps.sh dot neato
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache .hypothesis test-artifacts
