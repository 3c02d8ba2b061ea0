"""The order benchmark's markets and traders, made in the benchmark's own process (Django set up by
bench.database.configure) before any server starts.

Each scenario trades on markets of its own, so a book left by an earlier scenario never fills a later
one's orders. Traders are real users made by the project's `create_account` command (KYC approved,
tier_3, funded in USDC and every base currency); their JWTs are minted as POST /v1/auth/token would.
"""

import io
import json
import secrets
from dataclasses import dataclass
from decimal import Decimal

from bench.database import token_for

QUOTE = "USDC"
TICK, LOT = Decimal("0.01"), Decimal("1")
# Below compliance's large-transaction threshold (1,000,000 USDC), so funding raises no alerts;
# enough for thousands of buys at about 100 USDC each.
QUOTE_DEPOSIT = Decimal("900000")
BASE_DEPOSIT = Decimal("100000")


@dataclass(frozen=True)
class Trader:
    username: str
    account_id: str
    token: str


def markets_create(*, prefix: str, count: int) -> list[str]:
    """`count` new, empty markets (symbols like B1A0/USDC), made as trading's migration makes the default ones."""
    from trading.models import Market

    symbols = []
    for index in range(count):
        base = f"{prefix}{index}"
        symbol = f"{base}/{QUOTE}"
        Market.objects.create(symbol=symbol, base=base, quote=QUOTE, tick_size=TICK, lot_size=LOT)
        symbols.append(symbol)
    return symbols


def traders_create(*, prefix: str, count: int, bases: list[str]) -> list[Trader]:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    deposits = [f"{QUOTE}={QUOTE_DEPOSIT}"] + [f"{base}={BASE_DEPOSIT}" for base in bases]
    traders = []
    for index in range(count):
        username = f"{prefix}{index}"
        out = io.StringIO()
        args = [username, f"--password={secrets.token_urlsafe(16)}", "--role", "trader", "--kyc", "approved:tier_3"]
        for deposit in deposits:
            args += ["--deposit", deposit]
        call_command("create_account", *args, stdout=out)
        account_id = json.loads(out.getvalue())["account_id"]
        user = get_user_model().objects.get(username=username)
        traders.append(Trader(username, account_id, token_for(user)))
    return traders
