# Quick start: `make run` (set up and open the app) and `make test` (set up and run the tests).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SAMPLE := resources/sample.jpg

# llama-cpp-python is compiled from source (about 8 minutes on 2 cores) into a wheel kept in
# WHEELS, one folder per build flavour, so later set-ups and fresh clones install it at once.
# The default flavour is portable (-DGGML_NATIVE=OFF): a native build uses every instruction
# the CPU reports, and on some virtual machines that includes AMX, which then dies with SIGILL.
# GPU flavours: `make setup LLAMA_FLAVOUR=cuda` (or metal); see README "GPU".
LLAMA_VERSION := 0.3.36
LLAMA_FLAVOUR ?= cpu
LLAMA_CMAKE_cpu := -DGGML_NATIVE=OFF
LLAMA_CMAKE_cuda := -DGGML_CUDA=on -DGGML_NATIVE=OFF
LLAMA_CMAKE_metal := -DGGML_METAL=on
WHEELS ?= $(HOME)/.cache/iea-desktop/wheels/llama-$(LLAMA_VERSION)-$(LLAMA_FLAVOUR)
LLAMA_STAMP := $(VENV)/.llama-$(LLAMA_VERSION)-$(LLAMA_FLAVOUR)

.PHONY: setup run test bench screenshots clean docs

setup: $(STAMP)

# Re-run the install only when the project's dependencies change.
$(STAMP): pyproject.toml $(LLAMA_STAMP)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(LLAMA_STAMP): | $(VENV)/bin/python
	@ls $(WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || { \
		echo "Compiling llama-cpp-python $(LLAMA_VERSION) ($(LLAMA_FLAVOUR)); this takes several minutes once."; \
		CMAKE_ARGS="$(LLAMA_CMAKE_$(LLAMA_FLAVOUR))" $(PY) -m pip wheel --quiet --no-deps --no-cache-dir \
			--no-binary llama-cpp-python llama-cpp-python==$(LLAMA_VERSION) -w $(WHEELS); }
	$(PY) -m pip install --quiet --force-reinstall --no-deps $(WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	rm -f $(VENV)/.llama-*
	touch $@

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
