from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from streams import principals

        from . import channels, roles, signals  # noqa: F401  (registers channels and signal handlers)
        from .selectors import principals_get

        principals.register_loader(lambda user_ids: principals_get(user_ids=user_ids))

        post_migrate.connect(roles.role_groups_sync_after_migrate, dispatch_uid="accounts.role_groups_sync")
