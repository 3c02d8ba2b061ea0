from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import channels, roles, signals  # noqa: F401  (registers channels and signal handlers)

        post_migrate.connect(roles.role_groups_sync_after_migrate, dispatch_uid="accounts.role_groups_sync")
