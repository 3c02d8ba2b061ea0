"""Officers and administrators sign in with a password and a TOTP code; a session without it counts for nothing."""

from io import StringIO
from urllib.parse import parse_qs, urlparse

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import backup_codes_issue, totp_device_add
from accounts.two_factor import NO_DEVICE_MESSAGE
from tests.streams.wire import assert_error
from tests.two_factor import force_login_verified, totp_code

PASSWORD = "correct-horse-1"  # tests.conftest make_user's default
LOGIN = "/admin/login/?next=/admin/"


def admin_login(user, **fields) -> tuple[Client, str]:
    browser = Client()
    response = browser.post(LOGIN, {"username": user.username, "password": PASSWORD, **fields})
    return browser, response.content.decode() if response.status_code == 200 else response["Location"]


def in_the_admin(browser: Client) -> bool:
    return browser.get("/admin/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["officer", "administrator"])
def test_staff_get_in_with_password_and_the_code_of_their_authenticator(request, role):
    user = request.getfixturevalue(role)
    device = totp_device_add(user=user)
    browser, location = admin_login(user, otp_token=totp_code(device))
    assert location == "/admin/" and in_the_admin(browser)


@pytest.mark.django_db
def test_a_password_alone_a_wrong_code_or_no_authenticator_keeps_staff_out(administrator, officer):
    device = totp_device_add(user=administrator)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    for fields in ({}, {"otp_token": wrong}):
        browser, page = admin_login(administrator, **fields)
        assert "errornote" in page and not in_the_admin(browser), fields

    browser, page = admin_login(officer, otp_token="123456")  # the officer has no device yet
    assert NO_DEVICE_MESSAGE.split(",")[0] in page and not in_the_admin(browser)


@pytest.mark.django_db
def test_an_officers_session_without_the_code_reaches_no_officer_page_or_call(officer, trader):
    unverified = Client()
    unverified.force_login(officer)  # a password login (or a session from before two factors)
    assert unverified.get("/admin/")["Location"].startswith("/admin/login/")
    console = unverified.get("/compliance/console/")
    assert console.status_code == 302 and console["Location"].startswith("/admin/login/?next=/compliance/console/")
    kyc = {"status": "approved", "tier": "tier_1"}
    refused = unverified.post(f"/v1/compliance/accounts/{trader.account.id}/kyc", kyc, content_type="application/json")
    assert refused.status_code in (401, 403)
    trader.account.refresh_from_db()
    assert trader.account.kyc_status == "pending_review"

    verified = Client()
    force_login_verified(verified, officer)
    assert verified.get("/compliance/console/").status_code == 200


def session_cookie(browser: Client) -> list[tuple[bytes, bytes]]:
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()
    return [(b"cookie", cookie), (b"origin", b"http://testserver"), (b"host", b"testserver")]


@pytest.mark.django_db(transaction=True)
async def test_an_officers_socket_needs_a_verified_session(ws, officer, trader):
    def browsers():
        unverified, verified = Client(), Client()
        unverified.force_login(officer)
        force_login_verified(verified, officer)
        return session_cookie(unverified), session_cookie(verified)

    unverified, verified = await sync_to_async(browsers)()
    client = await ws(headers=unverified)
    subscribe = {"type": "subscribe", "channel": "account_notifications", "account_id": trader.account.id}
    assert_error(await client.request(subscribe), "AUTH_REQUIRED")

    client = await ws(headers=verified)
    assert (await client.request(subscribe))["status"] == "subscribed"


@pytest.mark.django_db
def test_the_first_administrator_gets_in_with_a_static_token_or_a_printed_provisioning_uri(administrator):
    out = StringIO()
    call_command("addstatictoken", administrator.username, stdout=out)
    browser, location = admin_login(administrator, otp_token=out.getvalue().strip())
    assert location == "/admin/" and in_the_admin(browser)

    out = StringIO()
    call_command("totp_device_create", administrator.username, "--name", "phone", stdout=out)
    uri = urlparse(out.getvalue().strip())
    assert uri.scheme == "otpauth" and uri.netloc == "totp" and administrator.username in uri.path
    assert parse_qs(uri.query)["issuer"] == ["CantonDEX"] and parse_qs(uri.query)["secret"]
    device = TOTPDevice.objects.get(user=administrator, name="phone")
    assert device.confirmed
    browser, location = admin_login(administrator, otp_token=totp_code(device), otp_device=device.persistent_id)
    assert location == "/admin/" and in_the_admin(browser)


@pytest.mark.django_db
def test_with_an_authenticator_and_backup_codes_either_code_works_without_picking_a_device(officer):
    device = totp_device_add(user=officer)
    codes = backup_codes_issue(user=officer, count=2)
    assert len(codes) == 2 and backup_codes_issue(user=officer, count=2) == codes  # topped up, not replaced

    browser, location = admin_login(officer, otp_token=totp_code(device))
    assert location == "/admin/" and in_the_admin(browser)
    browser, location = admin_login(officer, otp_token=codes[0])
    assert location == "/admin/" and in_the_admin(browser)
    browser, page = admin_login(officer, otp_token=codes[0])  # single use
    assert not in_the_admin(browser) and "errornote" in page
