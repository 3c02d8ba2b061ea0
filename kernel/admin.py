"""Admin for models that change only through services: the admin validates and reports, the service writes.

(Django's admin autodiscovery imports this module too; it registers nothing.)
"""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from .errors import ServiceError


def admin_object_adopt(obj: Model, saved: Model | None) -> None:
    """In save_model, after the service wrote `saved` (None: it changed nothing): make the admin's unsaved
    `obj` that row, so the admin's log entry, message and redirect name what was really stored."""
    if saved is None:
        obj.pk = None
        return
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False


def admin_bulk_apply(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    change: Callable[[Any], object],
    *,
    done: str,
) -> None:
    """An admin action: `change(pk)` for each selected row. A ServiceError refuses that row only; the officer
    is told how many succeeded (`done`, formatted with `count`) and why the others were refused."""
    succeeded, refused = 0, []
    for pk in queryset.values_list("pk", flat=True):
        try:
            change(pk)
            succeeded += 1
        except ServiceError as error:
            refused.append(f"{pk}: {error.message}")
    if succeeded:
        model_admin.message_user(request, done.format(count=succeeded), messages.SUCCESS)
    if refused:
        model_admin.message_user(request, "Refused: " + "; ".join(refused), messages.WARNING)
