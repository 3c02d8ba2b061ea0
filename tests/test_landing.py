"""The landing page at /: no login, and it leads to every page a newcomer looks for."""

import pytest
from django.contrib import admin

pytestmark = pytest.mark.django_db

LINKS = ["/compliance/console/", "/status/", "/v1/docs", "/v1/asyncapi.json", "/v1/asyncapi.yaml", "/admin/"]


def test_the_landing_page_links_the_console_status_api_docs_and_admin(client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    for link in LINKS:
        assert f'href="{link}"' in page, link


def test_every_link_of_the_landing_page_leads_somewhere(client):
    for link in LINKS:
        assert client.get(link).status_code in (200, 302), link  # 302: the console and admin ask to log in


def test_the_admins_view_site_link_is_the_landing_page():
    assert admin.site.site_url == "/"
