from django.apps import AppConfig

# What a compliance officer may do in the admin: read accounts and trading records, work alerts,
# record KYC decisions, work cases, decide others' four-eyes requests, write SARs. Never change balances, orders
# or trades.
OFFICER_PERMISSIONS = [
    "accounts.view_account",
    "trading.view_market",
    "trading.view_balance",
    "trading.view_order",
    "trading.view_trade",
    "trading.view_deposit",
    "trading.view_withdrawal",
    "compliance.view_alert",
    "compliance.change_alert",
    "compliance.view_alertnote",
    "compliance.add_alertnote",
    "compliance.view_alertauditentry",
    "compliance.view_kycchange",
    "compliance.add_kycchange",
    "compliance.view_surveillancerule",
    "compliance.view_severitysla",
    "compliance.view_kyctierlimit",
    "compliance.view_case",
    "compliance.change_case",
    "compliance.view_casenote",
    "compliance.view_caseattachment",
    "compliance.view_approvalrequest",
    "compliance.change_approvalrequest",
    "compliance.view_sar",
    "compliance.add_sar",
    "compliance.change_sar",
]
# Administrators also tune the rules, SLAs and tier limits.
ADMIN_PERMISSIONS = [
    *OFFICER_PERMISSIONS,
    "compliance.change_surveillancerule",
    "compliance.change_severitysla",
    "compliance.change_kyctierlimit",
]


class ComplianceConfig(AppConfig):
    name = "compliance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts.roles import ADMIN, COMPLIANCE, extend_group_permissions
        from kernel import jobs
        from trading import withdrawal_checks

        from . import channels, signals  # noqa: F401  (registers the compliance channel and the surveillance)
        from .limits import ensure_withdrawal_allowed
        from .surveillance import surveillance_run_pending

        extend_group_permissions(COMPLIANCE, OFFICER_PERMISSIONS)
        extend_group_permissions(ADMIN, ADMIN_PERMISSIONS)
        withdrawal_checks.register(ensure_withdrawal_allowed)
        jobs.register("compliance.surveillance", surveillance_run_pending, interval_setting="CDX_SURVEILLANCE_INTERVAL_S")
