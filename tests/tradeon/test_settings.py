"""Settings: typed environment helpers fail loudly, and production passes Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from tradeon import env

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("helper", "value", "message"),
    [
        (lambda: env.env_bool("TRADEON_X"), "perhaps", "TRADEON_X='perhaps' is not a boolean"),
        (lambda: env.env_int("TRADEON_X", 1), "ten", "TRADEON_X='ten' is not a whole number"),
        (lambda: env.env_int("TRADEON_X", 1, minimum=5), "2", "TRADEON_X=2 must be at least 5"),
        (
            lambda: env.env_url("TRADEON_X", schemes=("redis",)),
            "http://x",
            "TRADEON_X must be a URL starting with one of redis://",
        ),
    ],
)
def test_bad_environment_value_names_the_variable(monkeypatch, helper, value, message):
    monkeypatch.setenv("TRADEON_X", value)
    with pytest.raises(ImproperlyConfigured, match=message.replace("(", r"\(").replace(")", r"\)")):
        helper()


def test_required_variable_missing_names_it(monkeypatch):
    monkeypatch.delenv("TRADEON_X", raising=False)
    with pytest.raises(ImproperlyConfigured, match="TRADEON_X is required"):
        env.env_str("TRADEON_X")


def test_env_values_parse():
    os.environ["TRADEON_Y"] = "a, b,,c"
    try:
        assert env.env_list("TRADEON_Y") == ["a", "b", "c"]
    finally:
        del os.environ["TRADEON_Y"]


def _manage(args, **extra_env):
    environment = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    environment.update(extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "tradeon.settings.production",
    "DJANGO_SECRET_KEY": "k3y-" + "x9Q2mZ7pL4vB8nR1tY6wC3sD5fG0hJ2kA7eU9iO4" * 2,
    "DJANGO_ALLOWED_HOSTS": "tradeon.example",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/tradeon",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def test_production_settings_pass_check_deploy_without_warnings():
    result = _manage(["check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    environment = dict(PRODUCTION_ENV)
    del environment["DJANGO_SECRET_KEY"]
    result = _manage(["check"], **environment)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_bad_database_url_stops_start_up_naming_it():
    result = _manage(["check"], DJANGO_SETTINGS_MODULE="tradeon.settings.local", DATABASE_URL="mysql://x")
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_embedded_defaults_need_no_services(settings):
    from tradeon.settings import base

    if not os.environ.get("DATABASE_URL"):
        assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    if not os.environ.get("REDIS_URL"):
        assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"
        assert settings.CELERY_TASK_ALWAYS_EAGER
    else:
        assert base.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"
        assert base.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["max_connections"] >= 1000
        assert base.CELERY_BROKER_URL.startswith("redis://")


_DATABASE_OPTIONS = "from django.conf import settings; print(settings.DATABASES['default'].get('OPTIONS'))"


def test_postgresql_prepares_statements_unless_switched_off():
    url = "postgres://tradeon@127.0.0.1:5432/tradeon?options=-c%20statement_timeout%3D5000"
    on = _manage(["shell", "-c", _DATABASE_OPTIONS], DJANGO_SETTINGS_MODULE="tradeon.settings.local", DATABASE_URL=url)
    assert on.returncode == 0, on.stderr
    assert "'server_side_binding': True" in on.stdout
    assert "'prepare_threshold': 5" in on.stdout
    # Statements with parameters keep their custom plans; options from the URL are kept.
    assert "-c statement_timeout=5000 -c plan_cache_mode=force_custom_plan" in on.stdout
    off = _manage(
        ["shell", "-c", _DATABASE_OPTIONS],
        DJANGO_SETTINGS_MODULE="tradeon.settings.local",
        DATABASE_URL=url,
        DB_PREPARED_STATEMENTS="false",
    )
    assert off.returncode == 0, off.stderr
    assert "server_side_binding" not in off.stdout
