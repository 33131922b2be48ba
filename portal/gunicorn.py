"""gunicorn's settings for production and the benchmark (`gunicorn -c python:portal.gunicorn`).

Sync workers, (2 × cores) + 1 of them unless WEB_CONCURRENCY says otherwise: while one worker
waits for PostgreSQL another uses the core, and a page spends about a third of its time
waiting for the database."""

import multiprocessing
import os

wsgi_app = "portal.wsgi"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
