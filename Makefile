# Two commands do all the set-up: `make run` and `make test`.
# Each (re)creates .venv from pyproject.toml when pyproject.toml is newer than the venv's stamp.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
BIN := $(VENV)/bin

.PHONY: run test venv bench bench-kpis bench-scale bench-idle bench-soak clean widget screenshots

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/chatsvc serve

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench.load

# The manager's figures on 100,000 generated conversations: SQLite, and PostgreSQL when CHATSVC_TEST_DATABASE_URL
# names a server (a throw-away database is made there and dropped).
bench-kpis: $(STAMP)
	$(BIN)/python -m bench.kpis

# Scale-out: PostgreSQL at $$CHATSVC_TEST_DATABASE_URL and Redis at $$CHATSVC_TEST_REDIS_URL (defaults: the local
# test servers); throw-away databases and key prefixes, removed afterwards. See bench/README.md.
bench-scale: $(STAMP)
	$(BIN)/python -m bench.scale

bench-idle: $(STAMP)
	$(BIN)/python -m bench.idle

bench-soak: $(STAMP)
	$(BIN)/python -m bench.soak

widget: $(STAMP)
	$(BIN)/python widget/build.py

screenshots: $(STAMP)
	$(BIN)/python tests/screenshots.py

clean:
	rm -rf $(VENV) *.egg-info
