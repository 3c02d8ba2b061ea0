"""What both baseline servers share with the project's protocol: JWT check and the reply messages."""

import os

import jwt

from kernel.json import dumps, utcnow_iso

MARKET_DATA = "market_data"


def user_of(token: object) -> int | None:
    """The user id of a valid access token signed with the project's key (no database: a baseline)."""
    if not isinstance(token, str):
        return None
    try:
        claims = jwt.decode(token.removeprefix("Bearer "), os.environ["BENCH_JWT_SECRET"], algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    return claims.get("user_id")


def subscription_items(message: dict) -> list[dict]:
    items = message.get("channels")
    return items if isinstance(items, list) else [message]


def reply(message_type: str, **fields) -> dict:
    return {"type": message_type, **fields, "timestamp": utcnow_iso()}


def encode(message: dict) -> str:
    return dumps(message)
