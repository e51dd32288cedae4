# mmvideofm: `make demo` (set up + the main job) and `make test` (set up + the test suite).
# Setup is incremental: stamps in .venv record what was installed from which requirements.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
WORK_DIR ?= work_dirs/demo
DEMO_CONFIG ?= configs/videovit/videovit-tiny-p8_scratch_synthetic-direction-16x32.py
DEMO_DATA ?= data/synthetic/direction
PYTEST_ARGS ?=
export PYTHONPATH := $(CURDIR)
export OMP_NUM_THREADS ?= 1

.PHONY: demo test test-all setup setup-tests lint sysdeps clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -U pip 'setuptools<81' wheel

# open3d needs the system library libusb-1.0 (not a Python wheel); the chat UI's browser test
# (tests/tools/test_chat_ui.py) drives Debian's chromium with Playwright (no browser download).
sysdeps:
	@if ! ldconfig -p 2>/dev/null | grep -q 'libusb-1.0.so.0'; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing libusb-1.0-0 for open3d (apt-get)"; \
	    (apt-get install -y -qq libusb-1.0-0 >/dev/null 2>&1 || (apt-get update -qq >/dev/null && apt-get install -y -qq libusb-1.0-0 >/dev/null)) \
	      || echo "WARNING: could not install libusb-1.0-0; open3d (point-cloud files) will be unavailable"; \
	  else \
	    echo "NOTE: open3d needs the system library libusb-1.0; install it with: sudo apt-get install libusb-1.0-0"; \
	  fi; \
	fi
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing chromium for the chat UI's browser test (apt-get)"; \
	    (apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null)) \
	      || echo "WARNING: could not install chromium; the chat UI's browser test will be skipped"; \
	  else \
	    echo "NOTE: the chat UI's browser test needs chromium; install it with: sudo apt-get install chromium"; \
	  fi; \
	fi

$(VENV)/.stamp-runtime: requirements/runtime.txt setup.cfg setup.py | $(VENV)/bin/python
	$(PIP) install -r requirements/runtime.txt
	$(PIP) install --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.stamp-tests: requirements/tests.txt $(VENV)/.stamp-runtime
	$(PIP) install -r requirements/tests.txt
	touch $@

setup: sysdeps $(VENV)/.stamp-runtime
setup-tests: setup $(VENV)/.stamp-tests

# The main job: export the synthetic world, train a VideoViT from scratch, test it.
# Re-running resumes (a finished run only re-tests).
# (runs only while test.txt is missing: no export yet, or an interrupted one, which --overwrite cleans)
$(DEMO_DATA)/test.txt: | $(VENV)/.stamp-runtime
	$(PY) tools/data/make_synthetic.py --out $(DEMO_DATA) --overwrite --task direction \
	  --num-train 1600 --num-val 200 --num-test 200 --frames 16 --size 32 --seed 0

demo: setup $(DEMO_DATA)/test.txt
	$(PY) tools/train.py $(DEMO_CONFIG) --work-dir $(WORK_DIR) --resume
	$(PY) tools/test.py $(DEMO_CONFIG) $(WORK_DIR) --work-dir $(WORK_DIR)/test
	@echo "Logs, checkpoints and training_curve.png are in $(WORK_DIR)"

test: setup-tests
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n 2 --dist loadfile -q $(PYTEST_ARGS)

test-all: setup-tests
	$(PY) -m pytest -n 2 --dist loadfile -q -m '' $(PYTEST_ARGS)

lint: setup-tests
	$(VENV)/bin/ruff check .

clean:
	rm -rf work_dirs data/synthetic*
