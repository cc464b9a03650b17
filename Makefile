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

# asv suite on the current environment, one quick pass; BENCH='Crossed\.' narrows it (a regex).
BENCH ?= .
bench: $(STAMP)
	cd benchmarks && ../$(PY) -m asv machine --yes >/dev/null
	cd benchmarks && ../$(PY) -m asv run --python=same --quick --show-stderr --bench '$(BENCH)'

# sparselmm against mixedlm, statsmodels and lme4 (Rscript); peers go into the venv only.
COMPARE_ARGS ?= --repeat 3 --output benchmarks/results.md
compare: $(STAMP)
	$(PY) -m pip install -q -r benchmarks/requirements-peers.txt
	$(PY) benchmarks/compare_peers.py $(COMPARE_ARGS)

$(STAMP): pyproject.toml tools/install-system-deps.sh
	tools/install-system-deps.sh $(PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,dask]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .asv
