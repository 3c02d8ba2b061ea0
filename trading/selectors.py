from .models import Balance, Market


def market_symbols() -> list[str]:
    return list(Market.objects.filter(active=True).values_list("symbol", flat=True))


def balance_list(*, account_id: str) -> list[Balance]:
    return list(Balance.objects.filter(account_id=account_id).order_by("currency"))
