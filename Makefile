# A handful of verbs. Every target installs what it needs first, so each works on a fresh machine.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV_VERSION := 0.13.8
# Always `python3 -m uv`: on a fresh machine pip installs uv into the interpreter, and a pyenv
# shim for a `uv` command would not exist until a rehash.
UV := python3 -m uv
PY := .venv/bin/python

.PHONY: install tools lint test test-fast bench emulator demo demo-down clean

install: ## create .venv from uv.lock (installs uv itself if missing)
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(UV) sync --frozen

tools: install ## build or reuse kube-apiserver, etcd, kubectl, helm; fetch promtool (cached outside the repo)
	$(PY) -m ncc_testenv.tools ensure

lint: install ## ruff, mypy --strict, import-linter
	.venv/bin/ruff check .
	.venv/bin/ruff format --check operator tests bench
	.venv/bin/mypy operator tests bench
	.venv/bin/lint-imports

test: tools ## the whole suite, cluster tests included
	.venv/bin/pytest

test-fast: install ## unit + emulator tests only (no control plane)
	.venv/bin/pytest -m "not cluster and not tools"

bench: tools ## DESIGN §6 targets as ratios in one run (bench/README.md); ARGS="--quick" for < 2 min
	$(PY) -m bench $(ARGS)

emulator: install ## run the Databricks emulator in the foreground (see docs/emulator.md)
	.venv/bin/ncc-operator emulator --cloud azure --workspace 1234567890123456:eastus2

demo: tools ## the whole story locally: control plane, emulator, operator, examples/ (docs/operator.md)
	.venv/bin/ncc-operator demo

demo-down: install ## stop the demo (operator, emulator, control plane) and remove its work dir
	.venv/bin/ncc-operator demo --down

clean:
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
