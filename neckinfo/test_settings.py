"""Settings for the test suite: the real settings, with what only slows tests down swapped out."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key")
# The test client speaks plain HTTP; HTTPS-only settings are tested with `check --deploy`.
os.environ.setdefault("DJANGO_SECURE", "0")

from neckinfo.settings import *  # noqa: E402,F403

# Manifest storage needs collectstatic before any page renders; tests use plain files.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Hashing a password properly is slow on purpose; tests log in a lot.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Serve static files straight from the app folders, as `runserver` does, with no collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# Search counts are written only when a test flushes them, so that a flush can't land in
# another test's query count, nor in the development database after the run.
SEARCH_LOG_FLUSH_SECONDS = None

# Tests set up content the way `make run` does, from the sample articles with --publish; the
# refusal elsewhere is tested on its own (test_importer).
PUBLISH_UNREVIEWED_IMPORTS = True

# Uploaded images go to a folder of this run's own, removed when it ends, never to the
# development site's media.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="neckinfo-test-media-"))
atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)
