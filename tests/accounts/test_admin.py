"""The admin for users and accounts."""

import pytest
from django.contrib.admin.utils import quote
from django.test import Client

from tests.two_factor import force_login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser(administrator) -> Client:
    browser = Client()
    force_login_verified(browser, administrator)
    return browser


def test_administrators_list_and_find_accounts_and_users(admin_browser, trader):
    accounts = admin_browser.get("/admin/accounts/account/", {"q": trader.username})
    assert accounts.status_code == 200 and trader.account.id in accounts.content.decode()
    detail = admin_browser.get(f"/admin/accounts/account/{quote(trader.account.id)}/change/")
    assert detail.status_code == 200
    users = admin_browser.get("/admin/auth/user/")
    assert users.status_code == 200 and trader.username in users.content.decode()


def test_traders_do_not_get_into_the_admin(trader):
    browser = Client()
    browser.force_login(trader)
    response = browser.get("/admin/accounts/account/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
