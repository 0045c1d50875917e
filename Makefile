# The README's two commands set everything up by themselves on a fresh machine:
#   make demo  - a virtual environment in .venv with the package and the extras the demo and the
#                lessons use (plot, notebook), and Graphviz's `dot`;
#   make test  - all of that, plus the test tools (the dev extra: pytest, hypothesis, sympy, ruff,
#                mypy, PyTorch, build, twine...) and Chromium for the browser tests.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# An editable install (edits to the checkout apply at once, as a learner extending the engine needs)
# makes setuptools print a notice about editable installs in every mode; it is about the mode, not
# about this package, so it is silenced by its text alone.
INSTALL := PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install --quiet -e
DEMO_STAMP := $(VENV)/.chainrule-demo
TEST_STAMP := $(VENV)/.chainrule-test

.PHONY: setup setup-demo setup-test test demo lab bench fuzz clean

setup: setup-test

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# microgpt's own code (nn.microgpt, lesson 11, its tests): strands-microgpt's engine.py alone, so
# without the agent SDK it depends on.
MICROGPT := $(PY) -m pip install --quiet --no-deps strands-microgpt==0.1.0

$(DEMO_STAMP): pyproject.toml | $(VENV)/bin/python
	$(INSTALL) '.[plot,notebook]'
	$(MICROGPT)
	@touch $(DEMO_STAMP)

$(TEST_STAMP): pyproject.toml | $(VENV)/bin/python
	$(INSTALL) '.[plot,notebook,dev]'
	$(MICROGPT)
	@touch $(DEMO_STAMP) $(TEST_STAMP)

setup-demo: $(DEMO_STAMP)
	@$(PYTHON) .ci/system_deps.py dot

setup-test: $(TEST_STAMP)
	@$(PYTHON) .ci/system_deps.py dot chromium

test: setup-test
	$(PY) -m ruff check autograd nn tests bench
	$(PY) -m mypy
	$(PY) -m pytest

demo: setup-demo
	$(PY) -m nn.see.demo

lab: setup-demo
	$(VENV)/bin/jupyter lab notebooks/

bench: setup-test
	$(PY) bench/run.py

fuzz: setup-test
	CHAINRULE_FUZZ=long $(PY) -m pytest tests -m fuzz -p no:cacheprovider

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist *.egg-info
