"""Who is on the other end of a connection, in the terms the transport needs.

The transport authenticates connections but does not own users: the app that does registers how
to load principals (from its AppConfig.ready()), as domain apps register their channels.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    username: str
    account_id: str | None
    sees_every_account: bool  # may follow any account's streams (compliance officers, administrators)

    @property
    def connection_owner(self) -> str:
        """What the per-account connection limit counts: the account, or the user where there is none."""
        return self.account_id or f"user-{self.user_id}"


# Reads the principals of the active users among the ids, by user id, in one trip to the database.
PrincipalsLoader = Callable[[Iterable[int]], dict[int, Principal]]

_loader: PrincipalsLoader | None = None


def register_loader(loader: PrincipalsLoader) -> None:
    global _loader
    _loader = loader


def principals_load(user_ids: Iterable[int]) -> dict[int, Principal]:
    if _loader is None:
        raise RuntimeError("no principals loader registered (the accounts app registers one when it is ready)")
    return _loader(user_ids)
