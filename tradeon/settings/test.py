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
# Tests that exercise the debounced recompute switch it on themselves.
MATCHING_RECOMPUTE_ON_CHANGE = False
MATCHING_DEBOUNCE_SECONDS = 0
# Each test process gets its own cache (cleared between tests by tests/conftest.py), so cached
# values never leak from one test's rolled-back data into another's; the Redis cache backend
# itself is checked in tests/tradeon/test_services_reachable.py.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
