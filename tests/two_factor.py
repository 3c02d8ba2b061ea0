"""Officers and administrators sign in with a one-time code: helpers that do it as a real login would."""

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp

from accounts.services import totp_device_add


def totp_code(device) -> str:
    """The code the user's authenticator app shows now."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def force_login_verified(client, user) -> None:
    """client.force_login, then what a login with a one-time code adds to the session (for staff users)."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device_add(user=user).persistent_id
    session.save()


def login_code(user) -> str:
    """A code to type into the admin's login form: the user's authenticator, added if they have none."""
    return totp_code(totp_device_add(user=user))
