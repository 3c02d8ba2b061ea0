"""Production settings (DJANGO_DEBUG off) pass `manage.py check --deploy`, each hardening overridable."""

import json
import os
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "gateway.example.com",
}


def documented_production() -> dict[str, str]:
    """The environment docs/deployment.md gives the servers (its `export` lines), with a real secret for `...`."""
    text = (ROOT / "docs" / "deployment.md").read_text()
    exported: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("export "):
            exported.update(word.partition("=")[::2] for word in shlex.split(line, comments=True)[1:])
    assert exported.get("DJANGO_SECRET_KEY") == "...", "the documented secret is a placeholder"
    return {**exported, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
READ_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
names = ["SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE", "CACHES"]
print(json.dumps({name: getattr(settings, name, None) for name in names}))
"""


def environment(**overrides: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REDIS_URL"))}
    return {**inherited, "DJANGO_SETTINGS_MODULE": "cantondex.settings", **overrides}


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    command = [sys.executable, *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


def settings_under(**overrides: str) -> dict:
    result = run(["-c", READ_SETTINGS], environment(**overrides))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_pass_the_deploy_checks_without_warnings():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], environment(**PRODUCTION))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_documented_production_environment_passes_the_deploy_checks_without_warnings():
    documented = documented_production()
    assert documented["DJANGO_DEBUG"] == "0" and documented["DATABASE_URL"].startswith("postgres://")
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], environment(**documented))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    # Behind the documented proxy, which terminates TLS and says so in X-Forwarded-Proto: no endless redirect.
    assert settings_under(**documented)["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_production_is_https_only_with_hsts():
    production = settings_under(**PRODUCTION)
    assert production["SECURE_SSL_REDIRECT"] is True and production["SESSION_COOKIE_SECURE"] is True
    assert production["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600 and production["SECURE_PROXY_SSL_HEADER"] is None


def test_behind_a_tls_terminating_proxy_each_is_a_setting():
    proxied = settings_under(
        **PRODUCTION,
        DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_HSTS_SECONDS="3600",
    )
    assert proxied["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert proxied["SECURE_SSL_REDIRECT"] is False and proxied["SECURE_HSTS_SECONDS"] == 3600


def test_development_serves_plain_http():
    development = settings_under()
    assert development["SECURE_SSL_REDIRECT"] is False and development["SECURE_HSTS_SECONDS"] == 0


def test_rate_counters_are_in_redis_when_it_is_set_else_in_process():
    backend = "django.core.cache.backends.{}"
    clustered = settings_under(REDIS_URL="redis://127.0.0.1:6379/0")["CACHES"]["default"]
    assert clustered["BACKEND"] == backend.format("redis.RedisCache") and clustered["LOCATION"] == "redis://127.0.0.1:6379/0"
    assert settings_under()["CACHES"]["default"]["BACKEND"] == backend.format("locmem.LocMemCache")
