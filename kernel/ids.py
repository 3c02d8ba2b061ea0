"""Public identifiers: a type prefix and 16 lowercase hex digits (acc_, ord_, trd_, ...)."""

import secrets

from django.db import models


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


class PublicIdField(models.CharField):
    """A primary key like `ord_0123456789abcdef`, made when the row is created."""

    def __init__(self, prefix: str, **kwargs):
        self.prefix = prefix
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("primary_key", True)
        kwargs.setdefault("editable", False)
        super().__init__(**kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["prefix"] = self.prefix
        if not self.primary_key:  # a copy that is not the key (a history table's): kept so, against the default
            kwargs["primary_key"] = False
        return name, path, args, kwargs

    def has_default(self) -> bool:
        return True

    def get_default(self) -> str:
        return new_id(self.prefix)
