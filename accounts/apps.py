from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib import admin

        from streams import principals

        from . import channels, roles, schema, signals  # noqa: F401  (registers channels, schema and signal handlers)
        from .selectors import principals_get
        from .services import api_key_grants_get
        from .two_factor import TwoFactorAdminSite, session_verified

        principals.register_loader(
            lambda user_ids: principals_get(user_ids=user_ids),
            api_keys=lambda keys: api_key_grants_get(keys=keys),
            session_check=session_verified,
        )
        # The default admin site, every app's models registered on it, asks staff for a one-time code
        # (django-otp's documented way to swap the class of the existing site).
        admin.site.__class__ = TwoFactorAdminSite

        post_migrate.connect(roles.role_groups_sync_after_migrate, dispatch_uid="accounts.role_groups_sync")
