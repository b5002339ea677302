"""gunicorn settings for `make serve` and production: `gunicorn -c gunicorn.conf.py`."""

import multiprocessing
import os

wsgi_app = "neckinfo.wsgi:application"
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# One worker per core: pages are short CPU-bound renders or cache hits, so more workers
# than cores only adds memory and context switches. WEB_CONCURRENCY overrides it.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak can't grow for ever, but rarely: a new worker
# pays for its first admin request (textstat loads its dictionary) and for a cold cache.
max_requests = 100000
max_requests_jitter = 10000
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Behind a TLS proxy on the same host, trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
