# The README's two commands, `make demo` and `make test`, set everything up by themselves:
# a virtual environment in .venv with the package and its extras, and the system programs
# the project uses (Graphviz's `dot`, and Chromium for the browser test of the player).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.chainrule-installed

.PHONY: setup system-deps test demo lab bench fuzz clean

setup: $(STAMP) system-deps

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,notebook,plot]'
	@touch $(STAMP)

system-deps:
	@$(PYTHON) .ci/system_deps.py

test: setup
	$(PY) -m ruff check autograd nn tests bench
	$(PY) -m mypy
	$(PY) -m pytest

demo: setup
	$(PY) -m autograd.cli demo

lab: setup
	$(VENV)/bin/jupyter lab notebooks/

bench: setup
	$(PY) bench/run.py

fuzz: setup
	CHAINRULE_FUZZ=long $(PY) -m pytest tests -m fuzz -p no:cacheprovider

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache .hypothesis
