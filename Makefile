# The two commands of the README: `make run` (try the portal) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The demo's Tax Agency system (the reference client) listens for the portal's events here.
EXTERNAL_PORT ?= $(shell echo $$(($(PORT) + 1)))

# The suite runs against real PostgreSQL and Redis, and the real-worker and fault tests on
# RabbitMQ as well (each test in a virtual host of its own); override these to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15
TEST_RABBITMQ_URL ?= amqp://guest:guest@127.0.0.1:5672

.PHONY: run test test-rabbitmq lint install install-dev messages assets openapi clean

# `make run` needs the runtime requirements only; the test and lint tools come with `make test`.
$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime

install-dev: $(VENV)/.dev

messages: install
	DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v0

## GOV.UK Frontend from npm, and the stylesheet compiled from static/scss with its Sass.
## (Swagger UI's npm package pulls in Scarf's install analytics: told not to phone home.)
node_modules/.installed: package.json
	SCARF_ANALYTICS=false npm install --no-audit --no-fund --loglevel=error
	touch node_modules/.installed

build/static/css/portal.css: node_modules/.installed static/scss/portal.scss
	mkdir -p build/static/css
	node_modules/.bin/sass --no-source-map --load-path=node_modules --style=compressed \
		static/scss/portal.scss build/static/css/portal.css

## Swagger UI for the API's documentation page (/api/v1/docs/), served by the portal: its
## bundle, licence notice and stylesheet only (the stylesheet without its source-map comment, as
## the map is not copied and collectstatic's manifest would look for it).
SWAGGER_UI := build/static/swagger-ui
$(SWAGGER_UI)/swagger-ui-bundle.js: node_modules/.installed
	mkdir -p $(SWAGGER_UI)
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js \
		node_modules/swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt $(SWAGGER_UI)/
	sed 's#/\*\# sourceMappingURL=[^*]*\*/##' node_modules/swagger-ui-dist/swagger-ui.css \
		> $(SWAGGER_UI)/swagger-ui.css

assets: build/static/css/portal.css $(SWAGGER_UI)/swagger-ui-bundle.js

## Set up and start web, Celery worker, beat, the outbox relay and the Tax Agency's reference
## client on the embedded default (SQLite, filesystem broker).
run: messages assets
	DEBUG=1 $(BIN)/python manage.py migrate --no-input -v0
	DEBUG=1 $(BIN)/python manage.py seed_demo
	@echo "The portal is at http://127.0.0.1:$(PORT)/ (Ctrl-C stops web, worker, beat, relay and external)"
	DEBUG=1 PORT=$(PORT) PORTAL_PORT=$(PORT) EXTERNAL_PORT=$(EXTERNAL_PORT) \
		SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} \
		$(BIN)/honcho -f Procfile.dev start

lint: install-dev assets
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/bandit --quiet --severity-level high --confidence-level high -r portal units journeys accounts organisations citizens casework coordination demo api webhooks payments archiving
	@# pip-audit needs PyPI's JSON API or OSV; where neither answers (as in this project's CI),
	@# it reports every package "not found" and the run goes on (docs/security.md).
	-$(BIN)/pip-audit --progress-spinner off -r requirements.txt
	SECRET_KEY=$$(python3 -c "import secrets; print(secrets.token_urlsafe(50))") \
		ALLOWED_HOSTS=portal.example.org SITE_URL=https://portal.example.org DEBUG=0 \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

## Set up and run the whole suite against PostgreSQL, Redis and RabbitMQ.
test: install-dev assets messages lint
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) \
	TEST_RABBITMQ_URL=$(TEST_RABBITMQ_URL) \
	SECRET_KEY=test-only-secret-key DEBUG=0 SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 \
	$(BIN)/pytest $(PYTEST_ARGS)

## Every real-worker and fault test on RabbitMQ (`make test` runs the broker's own on it: those
## that kill or freeze it, the handoff, the dead letters; the rest only on Redis).
test-rabbitmq: install-dev assets messages
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) \
	TEST_RABBITMQ_URL=$(TEST_RABBITMQ_URL) TEST_RABBITMQ=all \
	SECRET_KEY=test-only-secret-key DEBUG=0 SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 \
	$(BIN)/pytest -k rabbitmq $(PYTEST_ARGS)

## Write docs/openapi.yaml from the code (the suite fails while it is stale). PostgreSQL's
## integer ranges are the ones the schema states, so it is generated against TEST_DATABASE_URL.
openapi: install
	DATABASE_URL=$(TEST_DATABASE_URL) DEBUG=1 $(BIN)/python manage.py spectacular \
		--file docs/openapi.yaml --validate --fail-on-warn

clean:
	rm -rf var/ build/ node_modules/ .pytest_cache
