# 黔技通 — every target creates .venv and installs the locked dependencies first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
# Dummy values, only so that `check --deploy` can load the production settings
# (which refuse short keys and the dev/test keys; nothing connects to Redis).
DEPLOY_ENV := DJANGO_SETTINGS_MODULE=training_platform.settings.production \
	DJANGO_SECRET_KEY=lint-only-3f9c2b7e1d8a4c6f0b5e9d2a7c4f1e8b3d6a9c2f5e8b1d4a7 \
	DATABASE_URL=sqlite:///lint-only.sqlite3 DJANGO_ALLOWED_HOSTS=example.org \
	PII_ENCRYPTION_KEYS=k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY= PII_ACTIVE_KEY_ID=k1 \
	PII_BLIND_INDEX_KEY=bGludC1vbmx5LWJsaW5kLWluZGV4LWtleS0zMi1ieXRlcyE= \
	CERTIFICATE_SIGNING_KEYS=lint1:bGludC1vbmx5LWNlcnQtc2lnbmluZy1zZWVkLTMyYiE= \
	CERTIFICATE_SIGNING_ACTIVE_KEY=lint1 SMS_BACKEND=training_platform.sms.backends.dummy.SmsBackend \
	REDIS_URL=redis://127.0.0.1:6379/0

.PHONY: run test lint bench install lock clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install the locked dependencies

run: $(STAMP) ## set up everything and serve http://127.0.0.1:8000 with demo data
	$(MANAGE) migrate --noinput
	$(MANAGE) load_reference
	$(MANAGE) seed_demo
	$(MANAGE) demo_info --logins
	@trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(MANAGE) db_worker --no-startup-delay & worker=$$!; \
	$(MANAGE) runserver 127.0.0.1:8000

test: $(STAMP) ## run the whole suite (SQLite, or PostgreSQL when DATABASE_URL is set)
	$(BIN)/pytest -n auto $(PYTEST_ARGS)

lint: $(STAMP) ## ruff, migrations up to date, system checks, deploy checks
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_SETTINGS_MODULE=training_platform.settings.test $(MANAGE) makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=training_platform.settings.test $(MANAGE) check --fail-level WARNING
	$(DEPLOY_ENV) $(MANAGE) check --deploy --fail-level WARNING

# --- c14-bench ---
# Every benchmark in one run, one Markdown table on stdout (progress on stderr), JSON
# under bench/results/ (summary.json: the table). BENCH_ONLY=roster,lists: some;
# BENCH_SCALE=0.05: every size scaled down (full size seeds for 6-8 min). The
# verification bench needs Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/2).
bench: $(STAMP) ## run every benchmark, print one table (BENCH_ONLY=roster: one; BENCH_SCALE=0.05: smaller)
	$(BIN)/python -m pip install --quiet -r requirements-bench.lock
	DJANGO_SETTINGS_MODULE=training_platform.settings.test $(BIN)/python -m bench.run
# --- end c14-bench ---

lock: ## re-resolve pyproject.toml into requirements.lock (in a scratch venv)
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/python -m pip install --quiet --upgrade pip
	.lockenv/bin/python -m pip install --quiet ".[dev]"
	.lockenv/bin/python -m pip freeze --exclude-editable | grep -v '^qianjitong' > requirements.lock
	rm -rf .lockenv

clean:
	rm -rf $(VENV) db.sqlite3* static_collected
