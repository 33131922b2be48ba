"""gunicorn's settings for production and the benchmark (`gunicorn -c python:portal.gunicorn`).

Sync workers, (2 × cores) + 1 of them (at most 9) unless WEB_CONCURRENCY says otherwise:
while one worker waits for PostgreSQL another uses the core, and a page spends about a third of
its time waiting for the database."""

import multiprocessing
import os

wsgi_app = "portal.wsgi"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Capped at 9: in a container cpu_count() may report the host's cores, and each worker keeps a
# PostgreSQL connection open.
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * multiprocessing.cpu_count() + 1, 9))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
