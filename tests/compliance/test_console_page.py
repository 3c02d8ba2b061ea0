import pytest
from django.test import Client

from tests.two_factor import force_login_verified

pytestmark = pytest.mark.django_db

URL = "/compliance/console/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_console_shows_open_alerts_to_an_officer(officer, alert):
    client = Client()
    force_login_verified(client, officer)
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert alert.id in page and "compliance_events" in page
    assert "/admin/compliance/alert/ALERT/change/" in page  # links into the admin


def test_traders_are_refused_and_strangers_sent_to_log_in(trader):
    assert client_for(trader).get(URL).status_code == 403
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/?next=/compliance/console/")
