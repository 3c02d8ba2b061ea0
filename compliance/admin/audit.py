"""An alert's record on its page: notes (only ever added, through the service) and the audit trail (never edited)."""

from django.contrib import admin

from .. import services
from ..models import AlertAuditEntry, AlertNote


class AlertNoteInline(admin.TabularInline):
    """Existing notes are read-only; a new one is added through the service (audited, announced)."""

    model = AlertNote
    fields = ["text", "author", "created_at"]
    readonly_fields = ["author", "created_at"]
    extra = 1
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False


class AlertAuditInline(admin.TabularInline):
    model = AlertAuditEntry
    verbose_name_plural = "audit trail"
    fields = readonly_fields = ("at", "actor_name", "action", "before", "after")
    extra = 0
    can_delete = False

    @admin.display(description="who")
    def actor_name(self, entry):
        return entry.actor.get_username() if entry.actor else "surveillance"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def alert_notes_save(request, alert_form, formset) -> None:
    """The alert admin's save_formset: new notes go through the service; nothing else is saved."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    if formset.model is not AlertNote:
        return
    for note_form in formset.extra_forms:
        text = note_form.cleaned_data.get("text") if note_form.has_changed() else None
        if text:
            note = services.alert_note_add(alert_id=alert_form.instance.pk, author=request.user, text=text)
            formset.new_objects.append(note)
