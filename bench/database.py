"""The benchmark's database: migrated, with one trader (user, account, JWT) per simulated client.

Users are bulk-inserted with one unusable password hash instead of going through
accounts.services.user_create (which hashes a password per user): 10,000 traders take a second,
not minutes. The clients authenticate with JWTs minted here, as POST /v1/auth/token would.
"""

import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

SYMBOL = "AAPL/USDC"  # created by trading's migrations; every client follows this one stream
TOKEN_LIFETIME = timedelta(hours=2)  # outlives the longest run


@dataclass(frozen=True)
class Trader:
    user_id: int
    account_id: str
    token: str


def configure(database_url: str | None, workdir: Path, *, pool: bool = False) -> str:
    """Point Django at the benchmark database (a throwaway SQLite file unless a URL is given) and set it up;
    `pool`: keep the PostgreSQL connection pool, for a process that serves requests as the server does."""
    if database_url is None:
        database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "cantondex.settings"
    # Measured as deployed: DEBUG off (no query log on every database call). The server processes
    # inherit this environment, so they sign and check tokens with the same key.
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["CDX_IN_PROCESS_JOBS"] = "0"
    # Served over plain HTTP on 127.0.0.1, and loaded far beyond one user's request rate: throttles still
    # count (their cost is measured) but never refuse.
    os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"
    for rate in ("CDX_RATE_ANON", "CDX_RATE_READ", "CDX_RATE_WRITE"):
        os.environ[rate] = "1000000/s"
    os.environ.pop("REDIS_URL", None)  # the bench process itself never touches a channel layer
    import django
    from django.conf import settings

    django.setup()
    # This process's own connection is not the server's: no pool, whose idle connections the
    # benchmark's connection count (pg_stat_activity) would take for the server's.
    if not pool:
        settings.DATABASES["default"].get("OPTIONS", {}).pop("pool", None)
    return database_url


def migrate(sqlite: bool) -> None:
    from django.core.management import call_command
    from django.db import connection

    if sqlite:
        # Write-ahead logging on the throwaway file: the publisher's commits and the server's relay
        # reads stop taking turns on one lock (a property of this file, not of the project).
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
    call_command("migrate", verbosity=0, interactive=False)


def traders_create(*, count: int, prefix: str) -> list[Trader]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db import transaction

    from accounts.models import Account
    from accounts.roles import GROUP_NAMES, TRADER

    User = get_user_model()
    unusable = make_password(None)
    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(username=f"{prefix}{i}", password=unusable) for i in range(count)], batch_size=1000
        )
        if any(user.pk is None for user in users):  # a backend that returns no ids from bulk inserts
            users = list(User.objects.filter(username__startswith=prefix).order_by("id"))
        group, _ = Group.objects.get_or_create(name=GROUP_NAMES[TRADER])
        User.groups.through.objects.bulk_create(
            [User.groups.through(user_id=user.pk, group_id=group.pk) for user in users], batch_size=1000
        )
        accounts = Account.objects.bulk_create([Account(user=user) for user in users], batch_size=1000)
    return [Trader(user.pk, account.pk, token_for(user)) for user, account in zip(users, accounts, strict=True)]


def token_for(user) -> str:
    """An access token for `user`, as POST /v1/auth/token would give, that outlives the run."""
    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken.for_user(user)
    token.set_exp(lifetime=TOKEN_LIFETIME)
    return str(token)


def traders_delete(*, prefix: str) -> None:
    """Remove the benchmark's traders from a database that outlives the run (DATABASE_URL given)."""
    from django.contrib.auth import get_user_model

    from accounts.models import Account

    User = get_user_model()
    Account.objects.filter(user__username__startswith=prefix).delete()
    User.objects.filter(username__startswith=prefix).delete()


def jwt_secret() -> str:
    """The key the baselines verify tokens with: the project's own signing key."""
    from rest_framework_simplejwt.settings import api_settings

    return api_settings.SIGNING_KEY
