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

# Screenshots of the real window through a scripted session, on a private Xvfb display
# (installs Xvfb and the X11 libraries Qt's xcb platform needs when they are missing).
screenshots: setup
	@(command -v Xvfb >/dev/null && ldconfig -p | grep -q libxcb-cursor.so.0 && ldconfig -p | grep -q libxcb-icccm.so.4 \
		&& ldconfig -p | grep -q libxcb-keysyms.so.1) \
		|| (apt-get update && apt-get install -y xvfb libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0)
	env -u DISPLAY QT_QPA_PLATFORM=xcb $(PY) tools/screenshots.py docs/screenshots
