"""Refresh tokens rotate, and a used, logged-out or pre-password-change refresh token stops working."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from kernel.json import loads
from tests.two_factor import force_login_verified

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-1"  # tests.conftest make_user's default


def login(user) -> dict:
    response = APIClient().post("/v1/auth/token", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    return loads(response.content)


def refresh(token: str):
    return APIClient().post("/v1/auth/token/refresh", {"refresh": token}, format="json")


def test_a_refresh_gives_a_new_refresh_token_and_the_old_one_cannot_be_used_again(trader):
    first = login(trader)["refresh"]
    response = refresh(first)
    assert response.status_code == 200
    rotated = loads(response.content)
    assert rotated["access"] and rotated["refresh"] != first

    assert refresh(first).status_code == 401
    assert refresh(rotated["refresh"]).status_code == 200


def test_logout_revokes_the_refresh_token(trader):
    tokens = login(trader)
    response = APIClient().post("/v1/auth/logout", {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 200
    assert refresh(tokens["refresh"]).status_code == 401
    assert APIClient().post("/v1/auth/logout", {"refresh": "garbage"}, format="json").status_code == 401


def test_a_password_change_revokes_every_refresh_token_of_that_user_only(trader, other_trader):
    phone, laptop, bystander = login(trader)["refresh"], login(trader)["refresh"], login(other_trader)["refresh"]
    trader.set_password("another-horse-2")
    trader.save()
    assert refresh(phone).status_code == 401 and refresh(laptop).status_code == 401

    get_user_model().objects.get(pk=other_trader.pk).save()  # a save without a new password revokes nothing
    assert refresh(bystander).status_code == 200


def test_a_password_changed_in_the_admin_revokes_refresh_tokens(trader, administrator):
    tokens = login(trader)
    browser = Client()
    force_login_verified(browser, administrator)
    response = browser.post(
        f"/admin/auth/user/{trader.pk}/password/",
        {"password1": "another-horse-2", "password2": "another-horse-2", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert refresh(tokens["refresh"]).status_code == 401
