"""Too many failed logins lock the username and the client IP out of the token endpoint and the admin."""

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from kernel.json import loads
from tests.two_factor import force_login_verified, login_code

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-1"  # tests.conftest make_user's default
LIMIT = 5


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


def token(username: str, password: str, ip: str = "10.0.0.1"):
    return APIClient(REMOTE_ADDR=ip).post("/v1/auth/token", {"username": username, "password": password}, format="json")


def assert_locked_out(response) -> None:
    assert response.status_code == 429, response.content
    body = loads(response.content)
    assert set(body) == {"code", "message", "details"} and body["code"] == "TOO_MANY_ATTEMPTS"
    assert response["Retry-After"] == "900" and body["details"] == {"retry_after_s": 900}


def test_wrong_passwords_lock_the_account_until_staff_reset_it(trader):
    statuses = [token(trader.username, "wrong").status_code for _ in range(LIMIT)]
    assert statuses == [401] * (LIMIT - 1) + [429]  # the attempt that reaches the limit locks
    assert_locked_out(token(trader.username, PASSWORD))  # the right password too
    assert_locked_out(token(trader.username, PASSWORD, ip="10.0.0.2"))  # from anywhere

    call_command("axes_reset_username", trader.username)
    assert token(trader.username, PASSWORD).status_code == 200


def test_wrong_passwords_from_one_ip_lock_the_ip_out(trader, other_trader):
    for attempt in range(LIMIT):
        token(f"guess{attempt}", "wrong", ip="10.0.0.7")
    assert_locked_out(token(trader.username, PASSWORD, ip="10.0.0.7"))  # any user, from that IP
    assert token(other_trader.username, PASSWORD, ip="10.0.0.8").status_code == 200  # elsewhere

    call_command("axes_reset_ip", "10.0.0.7")
    assert token(trader.username, PASSWORD, ip="10.0.0.7").status_code == 200


def test_the_limit_counts_failures_only(trader):
    for _ in range(LIMIT - 1):
        assert token(trader.username, "wrong").status_code == 401
    assert token(trader.username, PASSWORD).status_code == 200
    assert AccessAttempt.objects.get(username=trader.username).failures_since_start == LIMIT - 1


def test_an_overlong_username_is_counted_not_a_500(trader):
    for _ in range(LIMIT - 1):
        assert token("u" * 300, "wrong", ip="10.0.0.9").status_code == 401
    assert AccessAttempt.objects.get(ip_address="10.0.0.9").username == "u" * 255
    assert_locked_out(token("u" * 300, "wrong", ip="10.0.0.9"))


def admin_login(client: Client, user, password: str):
    fields = {"username": user.username, "password": password, "otp_token": login_code(user)}
    return client.post("/admin/login/?next=/admin/", fields, REMOTE_ADDR="10.0.0.3")


def test_the_admin_login_locks_out_with_a_page(administrator):
    client = Client()
    for _ in range(LIMIT - 1):
        assert admin_login(client, administrator, "wrong").status_code == 200  # the form again
    locked = admin_login(client, administrator, "wrong")
    assert locked.status_code == 429 and b"Too many failed logins" in locked.content
    assert b"axes_reset_username" in locked.content
    refused = admin_login(client, administrator, PASSWORD)  # right password and code
    assert refused.status_code == 429 and "_auth_user_id" not in client.session

    AccessAttempt.objects.filter(username=administrator.username).delete()  # staff unlock in the admin
    assert admin_login(client, administrator, PASSWORD).status_code == 302


def test_staff_see_the_attempts_in_the_admin(client, administrator, trader):
    token(trader.username, "wrong")
    force_login_verified(client, administrator)
    page = client.get("/admin/axes/accessattempt/")
    assert page.status_code == 200 and trader.username.encode() in page.content
