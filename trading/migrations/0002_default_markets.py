from decimal import Decimal

from django.db import migrations

DEFAULT_MARKETS = [("AAPL/USDC", "AAPL", "USDC"), ("GOOGL/USDC", "GOOGL", "USDC")]


def create_markets(apps, schema_editor):
    Market = apps.get_model("trading", "Market")
    for symbol, base, quote in DEFAULT_MARKETS:
        Market.objects.get_or_create(
            symbol=symbol, defaults={"base": base, "quote": quote, "tick_size": Decimal("0.01"), "lot_size": Decimal("1")}
        )


class Migration(migrations.Migration):
    dependencies = [("trading", "0001_initial")]
    operations = [migrations.RunPython(create_markets, migrations.RunPython.noop)]
