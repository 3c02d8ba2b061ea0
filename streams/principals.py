"""Who is on the other end of a connection, in the terms the transport needs.

The transport authenticates connections but does not own users: the app that does registers how
to load principals, how to check a bot's API key and whether a logged-in session may act for its user
(from its AppConfig.ready()), as domain apps register their channels.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    username: str
    account_id: str | None
    sees_every_account: bool  # may follow any account's streams (compliance officers, administrators)
    api_key_id: str | None = None  # signed in with this API key (its sockets close when it is revoked)
    scopes: frozenset[str] | None = None  # what that key allows; None: the user's full rights

    @property
    def connection_owner(self) -> str:
        """What the per-account connection limit counts: the account, or the user where there is none."""
        return self.account_id or f"user-{self.user_id}"


# Reads the principals of the active users among the ids, by user id, in one trip to the database.
PrincipalsLoader = Callable[[Iterable[int]], dict[int, Principal]]



@dataclass(frozen=True, slots=True)
class KeyGrant:
    principal: Principal
    expires_at: float | None  # epoch seconds; None: the key does not expire


# The usable API keys among the given key texts (right secret, not revoked or expired), by key text.
ApiKeysLoader = Callable[[Iterable[str]], dict[str, KeyGrant]]
# Whether a logged-in session may act for its user (the owner of users may require a second factor).
SessionCheck = Callable[[Any, Mapping[str, Any]], bool]

_loader: PrincipalsLoader | None = None
_api_keys_loader: ApiKeysLoader = lambda keys: {}  # noqa: E731  (no owner of users: no key is usable)
_session_check: SessionCheck = lambda user, session: True  # noqa: E731


def register_loader(
    loader: PrincipalsLoader, *, api_keys: ApiKeysLoader | None = None, session_check: SessionCheck | None = None
) -> None:
    global _loader, _api_keys_loader, _session_check
    _loader = loader
    if api_keys is not None:
        _api_keys_loader = api_keys
    if session_check is not None:
        _session_check = session_check


def principals_load(user_ids: Iterable[int]) -> dict[int, Principal]:
    if _loader is None:
        raise RuntimeError("no principals loader registered (the accounts app registers one when it is ready)")
    return _loader(user_ids)


def api_keys_load(keys: Iterable[str]) -> dict[str, KeyGrant]:
    return _api_keys_loader(keys)


def session_admitted(user, session: Mapping[str, Any]) -> bool:
    return _session_check(user, session)
