"""Give a user a TOTP authenticator and print its provisioning URI (otpauth://...) for their app."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.services import totp_device_add


class Command(BaseCommand):
    help = (
        "Give USERNAME a confirmed TOTP device (or find the one of that name) and print its otpauth:// URI for "
        "an authenticator app: how the first administrator gets in (or with `manage.py addstatictoken`)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="authenticator", help="the device's name in the admin")

    def handle(self, *args, username: str, name: str, **options):
        user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        self.stdout.write(totp_device_add(user=user, name=name).config_url)
