"""Admin helpers for models that change only through services (the admin validates and reports, the service
writes), and the kernel's own read-only page: how the background jobs are doing.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from .errors import ServiceError
from .models import JobStatus


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


@admin.register(JobStatus)
class JobStatusAdmin(admin.ModelAdmin):
    """Written by the jobs only (kernel/jobs.py): read here, never changed."""

    list_display = (
        "name", "last_started_at", "last_duration_s", "last_outcome", "consecutive_failures", "runs", "failures",
    )
    list_filter = ("last_outcome",)
    ordering = ("name",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
