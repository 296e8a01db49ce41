# A handful of verbs. Every target installs what it needs first, so each works on a fresh machine.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV_VERSION := 0.13.8
# Always `python3 -m uv`: on a fresh machine pip installs uv into the interpreter, and a pyenv
# shim for a `uv` command would not exist until a rehash.
UV := python3 -m uv
PY := .venv/bin/python

.PHONY: install system-tools tools lint test coverage test-fast soak bench emulator demo demo-down clean image image-base chart-sync

install: ## create .venv from uv.lock (installs uv itself if missing)
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(UV) sync --frozen

tools: install ## build or reuse kube-apiserver, etcd, kubectl, helm, promtool (cached outside the repo)
	$(PY) -m ncc_testenv.tools ensure

system-tools: ## Debian's buildah and debootstrap for the image tests, installed only when missing
	@if ! command -v buildah >/dev/null || ! command -v debootstrap >/dev/null; then \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq buildah debootstrap >/dev/null; \
	fi

lint: install ## ruff, mypy --strict, import-linter
	.venv/bin/ruff check .
	.venv/bin/ruff format --check operator devtools tests bench
	.venv/bin/mypy operator devtools tests bench
	.venv/bin/lint-imports

# Coverage data and reports of `make test` (gitignored; pyproject.toml [tool.coverage.run]).
COVERAGE_DIR := .coverage-data
COVERAGE := .venv/bin/coverage
COVERAGE_LINES_MIN := 90
# Combine the per-process data files (pytest and every operator process it started), print the
# per-file table, then ncc_operator's line and branch figures as the last line.
define coverage_report
	@if compgen -G "$(COVERAGE_DIR)/coverage.*" >/dev/null; then $(COVERAGE) combine --quiet; fi
	$(COVERAGE) report
	@$(COVERAGE) json --quiet -o $(COVERAGE_DIR)/report.json
	@$(PY) -c 'import json, sys; t = json.load(open(sys.argv[1]))["totals"]; \
	  print("coverage of ncc_operator: lines %.1f%% (%d/%d), branches %.1f%% (%d/%d)" % ( \
	  t["percent_statements_covered"], t["covered_lines"], t["num_statements"], \
	  t["percent_branches_covered"], t["covered_branches"], t["num_branches"]))' \
	  $(COVERAGE_DIR)/report.json
endef

test: tools system-tools ## the whole suite under coverage (operator processes included); prints line and branch figures
	rm -rf $(COVERAGE_DIR) && mkdir -p $(COVERAGE_DIR)
	@# The figures are printed even when a test fails; the target's status is then pytest's.
	$(COVERAGE) run -m pytest $(PYTEST_ARGS) || echo $$? >$(COVERAGE_DIR)/pytest-status
	$(coverage_report)
	@if [ -f $(COVERAGE_DIR)/pytest-status ]; then exit "$$(cat $(COVERAGE_DIR)/pytest-status)"; fi
	@# The whole suite must keep ncc_operator at >= $(COVERAGE_LINES_MIN) % of lines (a subset may not).
	@if [ -z "$(PYTEST_ARGS)" ]; then $(PY) -c 'import json, sys; \
	  lines = json.load(open(sys.argv[1]))["totals"]["percent_statements_covered"]; \
	  sys.exit(0 if lines >= float(sys.argv[2]) else \
	  f"line coverage of ncc_operator {lines:.1f} % is under {sys.argv[2]} %")' \
	  $(COVERAGE_DIR)/report.json $(COVERAGE_LINES_MIN); fi

coverage: install ## the figures of the last `make test` again (or of a `coverage run -m pytest <paths>`)
	$(coverage_report)

test-fast: install ## unit + emulator tests only (no control plane)
	.venv/bin/pytest -m "not cluster and not tools"

soak: tools ## the reliability suites at their large sizes (docs/reliability.md); bounded, loopback only, ~1 h
	NCC_SOAK=1 .venv/bin/pytest tests/reliability -p no:cacheprovider -rA $(PYTEST_ARGS)

bench: tools ## DESIGN §6 targets as ratios in one run (bench/README.md); ARGS="--quick" for < 2 min
	$(PY) -m bench $(ARGS)

emulator: install ## run the Databricks emulator in the foreground (see docs/emulator.md)
	.venv/bin/ncc-operator emulator --cloud azure --workspace 1234567890123456:eastus2

demo: install ## the whole story locally: control plane, emulator, operator, examples/ (docs/operator.md)
	$(PY) -m ncc_testenv.tools ensure kube-apiserver etcd kubectl
	.venv/bin/ncc-operator demo

demo-down: install ## stop the demo (operator, emulator, control plane) and remove its work dir
	.venv/bin/ncc-operator demo --down

image-base: ## the Debian base image for CI builds (debootstrap; cached in ~/.cache/ncc-operator/image/)
	bash tools/image/base.sh

image: ## build the operator image with buildah on that base (docs/install.md); prints its name
	bash tools/image/build.sh

chart-sync: ## copy crds/, the alerts and the dashboard into the Helm chart; regenerate the values table of docs/install.md
	cp crds/*.yaml helm/ncc-operator/crds/
	cp monitoring/prometheus/ncc-operator.rules.yaml monitoring/grafana/ncc-operator.json helm/ncc-operator/files/
	python3 helm/values_table.py

clean:
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache .import_linter_cache .coverage-data
