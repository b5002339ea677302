"""The site run in another process as an operator runs it: the real settings module, with
the production settings the README documents."""

import fcntl
import hashlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x7#k2!pQ9zL0vR4mW8nB3cY6tH1jF5dS-uE0aG7iO2wK9qZ4rT8yX1cV6bN3mM5",
    "DJANGO_ALLOWED_HOSTS": "www.neckinfo.example",
    "DJANGO_BEHIND_TLS_PROXY": "1",
}


def fresh_environment(**env: str) -> dict:
    """This process's environment without the test settings, plus the real settings module and
    `env`: for running the site in another process as an operator would."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST", "REDIS_URL"))
    }
    environment.update(env, DJANGO_SETTINGS_MODULE="neckinfo.settings")
    return environment


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh process, with the real settings module and `env`."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=fresh_environment(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


@contextmanager
def static_files_held(project: Path = PROJECT) -> Iterator[None]:
    """The checkout's collected static files (its staticfiles/), held while a server collects
    and serves them. `make test` runs its SQLite and PostgreSQL passes side by side, and each
    collectstatic rewrites staticfiles.json, which a server reads as it starts: so one pass's
    servers wait for the other's to stop."""
    digest = hashlib.sha256(str(project.resolve()).encode()).hexdigest()[:16]
    lock = Path(tempfile.gettempdir()) / f"neckinfo-static-files-{digest}.lock"
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
