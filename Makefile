# The two commands: `make demo` and `make test`. Each sets up what it needs by itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXTRAS ?= dev,bench,examples
comma := ,
STAMP := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
DEMO_DIR ?= demo-output

.PHONY: demo pictures examples test pytest test-pythons lint bench docs graphviz install clean

# The demo draws and explains: it needs the package alone, none of the extras.
demo: graphviz
	$(MAKE) --no-print-directory install EXTRAS=
	$(BIN)/python examples/seed_graph.py $(DEMO_DIR)
	$(BIN)/python examples/mlp_clusters.py $(DEMO_DIR)
	$(BIN)/python examples/lecture_network.py $(DEMO_DIR)
	$(BIN)/python examples/bp_equations.py $(DEMO_DIR)
	$(BIN)/chainrule "(x + y) * z" x=-2 y=5 z=-4 --explain -o $(DEMO_DIR)/formula.svg
	@echo "open $(DEMO_DIR)/lecture_backprop.html in a browser to step through backward"

# The README's pictures, regenerated from the examples.
# Every lecture example, its pictures written to $(DEMO_DIR) (examples/pictures holds a copy).
EXAMPLES := network_2_2_2 network_2_2_1 network_2_3_1 nudge learning_rates zero_init xor moons spiral
DRAWINGS := seed_graph mlp_clusters lecture_network higher_order bp_equations

pictures: install graphviz
	@for example in $(DRAWINGS) $(EXAMPLES); do echo "== $$example"; \
	  $(BIN)/python examples/$$example.py examples/pictures >/dev/null || exit 1; done
	rm -f examples/pictures/*.html

examples: install graphviz
	@for example in $(EXAMPLES); do echo "== $$example"; \
	  $(BIN)/python examples/$$example.py $(DEMO_DIR) || exit 1; done

test: lint pytest

pytest: install graphviz
	$(BIN)/python -m pytest

# The tests on each other Python the package supports that this machine has (as pythonX.Y or
# under pyenv), each in its own .venv-X.Y and without PyTorch: `make test` covers .venv's Python.
PYTHONS ?= 3.10 3.11 3.12 3.13
PYENV_ROOT ?= $(HOME)/.pyenv

test-pythons: install
	@main=$$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	for version in $(PYTHONS); do \
	  [ "$$version" = "$$main" ] && continue; \
	  found=; \
	  for python in python$$version $(PYENV_ROOT)/versions/$$version.*/bin/python$$version; do \
	    if $$python -c "" 2>/dev/null; then found=$$python; break; fi; \
	  done; \
	  if [ -z "$$found" ]; then echo "== Python $$version: not on this machine, not tested"; continue; fi; \
	  echo "== Python $$version: $$found"; \
	  $(MAKE) --no-print-directory pytest PYTHON=$$found VENV=.venv-$$version EXTRAS=dev,examples \
	    || exit 1; \
	done

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

# The benchmarks compare with micrograd and PyTorch (the bench and parity extras), the native
# backend's installed with every environment; matplotlib draws the crossover. The figures are
# PyTorch 2.13.0's, the version CI tests.
bench:
	PIP_CONSTRAINT=$(CURDIR)/.ci/constraints.txt $(MAKE) install EXTRAS=dev,bench,parity,examples
	$(BIN)/python benchmarks/speed.py --plot docs/pictures/crossover.png
	$(BIN)/python benchmarks/fit_compile.py

# The documentation site, into site/: a broken link or a missing reference fails the build.
docs:
	$(MAKE) --no-print-directory install EXTRAS=docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  echo "could not create a virtual environment: install Python's venv module" \
	       "(Debian/Ubuntu: apt-get install python3-venv)"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".$(if $(EXTRAS),[$(EXTRAS)])"
	@# the native backend's packages, where they install: its tests are skipped (and say so) where not
	$(BIN)/python -m pip install --quiet -e ".[native]" || \
	  echo "llvmlite or numpy did not install: the native backend's tests will be skipped"
	@touch $@

# Graphviz's `dot` draws the graphs: install it with the system's package manager if we can.
graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Graphviz (apt-get install graphviz)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	  elif command -v brew >/dev/null 2>&1; then \
	    echo "installing Graphviz (brew install graphviz)"; brew install graphviz; \
	  else \
	    echo "Graphviz's 'dot' program is missing: install the 'graphviz' package" \
	         "(apt-get install graphviz, dnf install graphviz, brew install graphviz) and run make again"; \
	    exit 1; \
	  fi; }

clean:
	rm -rf $(VENV) .venv-*/ $(DEMO_DIR) site .mypy_cache .pytest_cache .ruff_cache .hypothesis
