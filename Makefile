# NeckInfo: `make run` serves the site locally, `make test` runs the whole suite.
PYTHON_BIN ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PYTHON := $(VENV)/bin/python
PORT ?= 8000
# The suite's second pass runs against this server; Django creates and drops test_neckinfo.
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/neckinfo
LOCAL := DJANGO_DEBUG=1
NPM ?= npm

.PHONY: run test test-sqlite test-postgres lint format clean audit serve backup bench bench-search bench-peer bench-faults audit-dependencies

$(VENV)/.installed: requirements.txt
	$(PYTHON_BIN) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PYTHON) -m pip install --quiet -r requirements-dev.txt
	touch $@

# axe-core, the Nu HTML Checker and Lighthouse come from npm (package-lock.json). Without npm
# the accessibility and HTML-validity tests skip, saying why; CI turns those skips into failures.
node_modules/.installed: package.json package-lock.json
	@if command -v $(NPM) >/dev/null 2>&1; then \
		$(NPM) ci --no-audit --no-fund && touch $@; \
	else \
		echo "npm is not installed, so the browser accessibility and HTML-validity tests will skip:" \
			"apt-get install -y nodejs npm" >&2; \
	fi

run: $(VENV)/.installed
	$(LOCAL) $(PYTHON) manage.py migrate --noinput
	$(LOCAL) $(PYTHON) manage.py import_articles --publish --only-if-empty conditions/sample_content
	$(LOCAL) $(PYTHON) manage.py runserver 127.0.0.1:$(PORT)

# The two passes run side by side: each spends much of its time waiting (on gunicorn, Redis,
# Chromium, the Nu HTML Checker, manage.py processes), so together they take little longer
# than the PostgreSQL pass alone. Its report follows the SQLite pass's, once both are done.
test: $(VENV)/.installed-dev node_modules/.installed
	@postgres_log=$$(mktemp); \
	$(MAKE) --no-print-directory test-postgres >$$postgres_log 2>&1 & postgres=$$!; \
	$(MAKE) --no-print-directory test-sqlite; sqlite_status=$$?; \
	wait $$postgres; postgres_status=$$?; \
	cat $$postgres_log; rm -f $$postgres_log; \
	[ $$sqlite_status -eq 0 ] && [ $$postgres_status -eq 0 ]

test-sqlite: $(VENV)/.installed-dev node_modules/.installed
	@echo "== Test suite on SQLite =="
	$(PYTHON) -m pytest

# Runs when PostgreSQL answers. Under CI (CI=true) a missing server is an error, not a skip.
test-postgres: $(VENV)/.installed-dev node_modules/.installed
	@if $(PYTHON) -c "import psycopg, urllib.parse as u; psycopg.connect(u.urlsplit('$(TEST_POSTGRES_URL)')._replace(path='/postgres').geturl(), connect_timeout=3).close()" 2>/dev/null; then \
		echo "== Test suite on PostgreSQL =="; \
		DATABASE_URL=$(TEST_POSTGRES_URL) $(PYTHON) -m pytest; \
	elif [ -n "$$CI" ]; then \
		echo "PostgreSQL is not answering at $(TEST_POSTGRES_URL); CI requires it." >&2; exit 1; \
	else \
		echo "PostgreSQL is not answering at $(TEST_POSTGRES_URL): skipped the PostgreSQL pass."; \
	fi

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djhtml --check templates
	$(LOCAL) $(PYTHON) manage.py makemigrations --check --dry-run

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	$(VENV)/bin/djhtml templates

# Lighthouse scores for the home, a condition, an FAQ and a symptom page, served as in production.
audit: $(VENV)/.installed-dev node_modules/.installed
	$(PYTHON) bench/audit.py

# The production server, locally: hashed and compressed static files, gunicorn with a worker
# per core, debug off. Plain HTTP on 127.0.0.1, so the HTTPS-only settings are off
# (DJANGO_SECURE=0); behind a TLS proxy in production they are on.
# A random secret key, made on the first `make serve` and kept (outside git) for the next.
SERVE_SECRET_KEY_FILE ?= .serve-secret-key
SERVE_ENV := DJANGO_DEBUG=0 DJANGO_SECURE=0 \
	DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-$$(cat $(SERVE_SECRET_KEY_FILE))} \
	DJANGO_ALLOWED_HOSTS=$${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost}
$(SERVE_SECRET_KEY_FILE):
	@umask 077 && $(PYTHON_BIN) -c "import secrets; print(secrets.token_urlsafe(50))" > $@
serve: $(VENV)/.installed $(SERVE_SECRET_KEY_FILE)
	$(SERVE_ENV) $(PYTHON) manage.py migrate --noinput
	$(SERVE_ENV) DJANGO_PUBLISH_UNREVIEWED_IMPORTS=1 $(PYTHON) manage.py import_articles --publish --only-if-empty conditions/sample_content
	$(SERVE_ENV) $(PYTHON) manage.py collectstatic --noinput --verbosity 0
	$(SERVE_ENV) PORT=$(PORT) $(VENV)/bin/gunicorn -c gunicorn.conf.py

# A consistent copy of the database in backups/ (SQLite backup API, or pg_dump), and a tar of
# the uploaded images (MEDIA_ROOT) beside it.
backup: $(VENV)/.installed
	$(LOCAL) $(PYTHON) manage.py backup_database

# Load test with wrk on SQLite and on PostgreSQL + Redis; writes bench/RESULTS.md.
bench: $(VENV)/.installed-dev
	$(PYTHON) bench/load_bench.py --articles 10000 --duration 10 --backend both

# Search latency on 10,000 articles, both databases; writes bench/RESULTS-search.md.
bench-search: $(VENV)/.installed-dev
	$(PYTHON) bench/search_bench.py --articles 10000 --queries 200 --backend both

# NeckInfo beside Wagtail 8.0.1 on the same 10,000 articles, on SQLite and on PostgreSQL (the
# peer gets a virtualenv of its own, bench/wagtail_peer/.venv, on the first run); writes
# bench/RESULTS-peer.md.
bench-peer: $(VENV)/.installed-dev
	$(PYTHON) bench/peer_bench.py --articles 10000 --backend both

# Redis killed and hung, PostgreSQL connections killed, and simultaneous saves, under load;
# appends to bench/RESULTS-faults.md.
bench-faults: $(VENV)/.installed-dev
	$(PYTHON) bench/fault_bench.py

# Known vulnerabilities in the pinned requirements (fails only when one is found; packages
# the vulnerability service can't be reached for are listed as skipped).
audit-dependencies: $(VENV)/.installed-dev
	$(VENV)/bin/pip-audit -r requirements.txt --progress-spinner off

clean:
	rm -rf $(VENV) staticfiles .pytest_cache node_modules
