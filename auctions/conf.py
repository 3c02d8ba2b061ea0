"""Auction settings: a Django setting of the same name wins, else the environment, else the default."""

import os

from django.conf import settings

DEFAULTS: dict[str, str] = {
    # How often the lifecycle job advances auctions and sends the throttled auction_update.
    "CDX_AUCTION_STEP_INTERVAL_S": "0.5",
    # auction_update while bids arrive: at most one per auction per this many seconds (phase changes always).
    "CDX_AUCTION_UPDATE_INTERVAL_S": "1",
}


def text(name: str) -> str:
    if hasattr(settings, name):
        return str(getattr(settings, name))
    return os.environ.get(name, DEFAULTS[name])


def seconds(name: str) -> float:
    return float(text(name))
