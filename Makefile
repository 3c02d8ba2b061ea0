# Two commands do everything on a fresh machine with Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# A listen backlog big enough for a reconnect storm (daphne's default stalls under a burst).
ENDPOINT := tcp:$(PORT):interface=$(HOST):backlog=1024
# daphne's own message and frame limit (it drops the TCP connection above it), above the protocol's
# CDX_WS_CLOSE_MESSAGE_BYTES so that the gateway answers oversized messages itself (MESSAGE_SIZE_EXCEEDED).
WS_TRANSPORT_LIMIT := --websocket-max-message-size 2097152 --websocket-max-frame-size 2097152

.PHONY: run test lint install serve bench clean docs

$(INSTALLED): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $@

install: $(INSTALLED)

run: $(INSTALLED)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(MAKE) serve

serve: $(INSTALLED)
	@echo "Serving on http://$(HOST):$(PORT)/ (WebSocket ws://$(HOST):$(PORT)/v1/ws)"
	$(BIN)/daphne -e $(ENDPOINT) $(WS_TRANSPORT_LIMIT) cantondex.asgi:application

test: $(INSTALLED)
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/js --no-audit --no-fund --loglevel=error; fi
	$(BIN)/ruff check .
	$(BIN)/mypy .
	$(MAKE) docs
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Lint and types alone (make test runs them first too); settings in pyproject.toml.
lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/mypy .

# The documentation site (docs/, mkdocs.yml) into site/; any warning (a broken link or anchor) fails it.
docs: $(INSTALLED)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

bench: $(INSTALLED)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache .mypy_cache .ruff_cache site
