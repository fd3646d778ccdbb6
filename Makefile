# Quick start: `make run` (set up and open the app) and `make test` (set up and run the tests).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SAMPLE := resources/sample.jpg

.PHONY: setup run test bench screenshots clean docs

setup: $(STAMP)

# Re-run the install only when the project's dependencies change.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: setup
	$(VENV)/bin/iea-desktop $(SAMPLE)

test: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

clean:
	rm -rf $(VENV) build *.egg-info

docs: setup
	$(PY) -c "from iea_desktop.core.ops import registry_markdown; print(registry_markdown(), end='')" > docs/tools.md
