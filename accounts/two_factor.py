"""Officers and administrators sign in with a password and a one-time code (TOTP, django-otp).

Their sessions count only once verified: the admin asks for the code at login (TwoFactorAdminSite),
and a session without it is anonymous everywhere else (pages, session-authenticated REST, the WebSocket).
They do not set up their own authenticator: an administrator adds a TOTP device for them in the admin
(Django OTP > TOTP devices, with its QR code) or with `manage.py totp_device_create USERNAME`; the first
administrator gets in with `manage.py addstatictoken USERNAME`.
"""

from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser
from django.utils.functional import SimpleLazyObject
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user, user_has_device
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .roles import user_is_officer

NO_DEVICE_MESSAGE = (
    "Staff and compliance officers sign in with a one-time code, and no authenticator is set up for this "
    "account yet. Ask an administrator to add a TOTP device for you."
)


def two_factor_required(user) -> bool:
    return user.is_authenticated and (user.is_staff or user.is_superuser or user_is_officer(user))


def session_verified(user, session: Mapping[str, Any]) -> bool:
    """Whether a session may act for its user: always, unless the user needs two factors and the
    session holds no confirmed device of theirs (what django-otp's middleware checks for requests)."""
    if not two_factor_required(user):
        return True
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    return device is not None and device.user_id == user.pk and device.confirmed


class TwoFactorRequiredMiddleware:
    """After django-otp's OTPMiddleware: an unverified officer or administrator is anonymous."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        request.user = SimpleLazyObject(lambda: AnonymousUser() if _unverified(user) else user)
        return self.get_response(request)


def _unverified(user) -> bool:
    return two_factor_required(user) and not user.is_verified()


class TwoFactorLoginForm(OTPAdminAuthenticationForm):
    def clean_otp(self, user):
        if user is not None and not user_has_device(user, confirmed=True):
            raise forms.ValidationError(NO_DEVICE_MESSAGE, code="no_device")
        super().clean_otp(user)

    def _chosen_device(self, user):
        # django-otp asks which device to check the code against. Nobody needs to be asked: an authenticator
        # shows digits, a backup code (the static device) has letters too, and there is one of each at most.
        chosen = super()._chosen_device(user)
        if chosen is None:
            devices = list(devices_for_user(user, confirmed=True, for_verify=True))
            token = self.cleaned_data.get("otp_token") or ""
            wanted = TOTPDevice if token.isdigit() else StaticDevice
            return next((device for device in devices if isinstance(device, wanted)), None)
        return chosen


class TwoFactorAdminSite(OTPAdminSite):
    """The admin, asking staff for a one-time code (installed over admin.site by AccountsConfig.ready)."""

    login_form = TwoFactorLoginForm
