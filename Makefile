# duoflow — two commands do everything on a fresh machine:
#   make demo    set up (once), then run the loan demo on the local runtime
#   make test    set up (once), then run the whole test suite
# Set-up is idempotent: Python packages come from uv.lock into .venv; nothing is installed by hand.

PYTHON      ?= python3

# Python keeps the bytecode of what it imports (in .venv and the project's __pycache__/, both ignored by git). Where
# the environment sets PYTHONDONTWRITEBYTECODE, every process -- each server a test starts, each test worker, each
# CLI call -- would compile every module it imports from source again: about 2 s of CPU per process here.
unexport PYTHONDONTWRITEBYTECODE
UV_VERSION  := 0.13.9
UV          := .cache/uv/bin/uv
VENV        := .venv
STAMP       := $(VENV)/.synced

.PHONY: setup browser demo serve diagrams policies test bench synth lint clean help

help:
	@echo "make demo   run the loan and training demos (sets up first)"
	@echo "make serve  the local runtime + API + web console on http://127.0.0.1:$(PORT) (PORT=8000; prints a token per role;"
	@echo "            state in .duoflow/state/: a restart resumes every execution; duoflow serve --help for --fresh, --reload)"
	@echo "make diagrams  regenerate diagrams/ from statemachines/*.asl.json and the catalog"
	@echo "make policies  regenerate docs/policies/ (the state machines as policy documents: duoflow explain)"
	@echo "make test   run every test tier (sets up first)"
	@echo "make synth  synthesize the CDK app into cdk.out (offline; no npm needed)"
	@echo "make bench  compare the three variants: table, docs/bench.json, docs/bench.png and .svg"
	@echo "make setup  only install: Python packages from uv.lock into .venv"

$(UV):
	$(PYTHON) -m venv .cache/uv
	.cache/uv/bin/pip install --quiet uv==$(UV_VERSION)

# The local scorer builds its embedding engine from the wheel's C source (services/scorer/engine.py says why): gcc.
$(STAMP): $(UV) pyproject.toml uv.lock
	command -v gcc >/dev/null || $(SUDO) apt-get install -y -q gcc || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q gcc)
	$(UV) sync --frozen --python $$(command -v $(PYTHON))
	$(VENV)/bin/python -m services.scorer.engine
	touch $(STAMP)

setup: $(STAMP)

# The console's browser tests drive Debian's Chromium through Playwright (no browser download).
CHROMIUM    := /usr/bin/chromium
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(CHROMIUM):
	$(SUDO) apt-get install -y -q chromium || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium)

browser: $(CHROMIUM)

demo: setup
	$(VENV)/bin/duoflow demo

PORT        ?= 8000

serve: setup
	$(VENV)/bin/duoflow serve --port $(PORT)

diagrams: setup
	$(VENV)/bin/duoflow diagrams

policies: setup
	$(VENV)/bin/duoflow explain --all

test: setup browser lint
	$(VENV)/bin/python -m pytest
	# the runtime tier again without the speed-ups (the SPEEDUPS of duoflow/runtime/patches/): they must change no behaviour
	DUOFLOW_SPEEDUPS=0 $(VENV)/bin/python -m pytest tests/runtime

bench: setup
	$(VENV)/bin/duoflow bench --variant all --runs 5 --concurrency 4 --out docs/bench.json

synth: setup
	CDK_OUTDIR=cdk.out $(VENV)/bin/python infra/app.py

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf .cache $(VENV) .pytest_cache .hypothesis
