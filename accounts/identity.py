"""Who is on the other end of a connection or request, in the terms the streams need."""

from dataclasses import dataclass

from .roles import ADMIN, COMPLIANCE, TRADER


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    username: str
    account_id: str | None
    roles: frozenset[str]

    @property
    def is_trader(self) -> bool:
        return TRADER in self.roles

    @property
    def is_compliance(self) -> bool:
        return COMPLIANCE in self.roles

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles

    @property
    def sees_every_account(self) -> bool:
        """Compliance officers and administrators may follow any account's streams."""
        return self.is_compliance or self.is_admin

    @property
    def connection_owner(self) -> str:
        """What the per-account connection limit counts: the account, or the user where there is none."""
        return self.account_id or f"user-{self.user_id}"
