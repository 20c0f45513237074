"""Test settings: fast password hashing, in-memory email, temporary media."""

import tempfile

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="tradeon-test-media-")
STATIC_ROOT = tempfile.mkdtemp(prefix="tradeon-test-static-")
# Tests run tasks inline unless a test opts into a real worker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Persistent connections from websocket-test threads would keep the test database open at teardown.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
