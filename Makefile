# Two commands set up everything on a fresh Debian or Ubuntu machine:
#   make example   system libraries, a virtual environment, the package, then the toy example
#   make test      the same set-up, then the whole test suite

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: example test bench compare clean

example: $(STAMP)
	$(PY) examples/toy_lmer.py

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	cd benchmarks && ../$(PY) -m asv run --python=same --quick --show-stderr

$(STAMP): pyproject.toml tools/install-system-deps.sh
	tools/install-system-deps.sh $(PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .asv
