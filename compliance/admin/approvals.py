"""Four eyes: the requests waiting for a second officer, who approves (the action is then done) or rejects them."""

from django.contrib import admin

from kernel.admin import admin_bulk_apply

from .. import services
from ..models import ApprovalRequest, ApprovalStatus


class WaitingForMeFilter(admin.SimpleListFilter):
    title = "waiting"
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [("others", "Asked by others (mine to decide)"), ("mine", "Asked by me")]

    def queryset(self, request, queryset):
        pending = queryset.filter(status=ApprovalStatus.PENDING)
        if self.value() == "others":
            return pending.exclude(requested_by=request.user)
        if self.value() == "mine":
            return pending.filter(requested_by=request.user)
        return queryset


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(admin.ModelAdmin):
    list_display = ["id", "action", "subject", "disposition", "status", "requested_by", "requested_at", "decided_by"]
    list_filter = ["status", "action", WaitingForMeFilter]
    search_fields = ["id", "alert__id", "case__id", "sar__id"]
    list_select_related = ["requested_by", "decided_by"]
    fields = readonly_fields = (
        "id", "action", "alert", "case", "sar", "disposition", "reason", "status", "requested_by", "requested_at",
        "decided_by", "decided_at", "decision_note",
    )
    actions = ["approve", "reject"]

    @admin.display(description="subject")
    def subject(self, approval):
        return approval.alert_id or approval.case_id or approval.sar_id

    def has_add_permission(self, request):
        return False  # asked by closing an alert or a case, or by asking to file a SAR

    def has_delete_permission(self, request, obj=None):
        return False

    def _decide(self, request, queryset, approve: bool) -> None:
        admin_bulk_apply(
            self, request, queryset,
            lambda approval_id: services.approval_decide(approval_id=approval_id, approve=approve, actor=request.user),
            done="{count} request(s) " + ("approved" if approve else "rejected") + ".",
        )

    @admin.action(description="Approve (you must not be the requester)", permissions=["change"])
    def approve(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description="Reject", permissions=["change"])
    def reject(self, request, queryset):
        self._decide(request, queryset, False)
