"""The benchmark (bench/run): pages under gunicorn, handoffs through a real Celery worker."""
