"""Schemathesis against a real daphne: requests generated from the /v1/schema the server serves, as the demo
trader alice (JWT), and every answer checked against that same document (status documented, body and
headers as described, the right content type, no 500, bad input refused, undocumented methods 405 with Allow).
Generated requests rarely get past the business rules (a random symbol, a random id), so a second test makes
the calls that succeed, one by one, and checks those answers against the document the same way.

The generated run goes through schemathesis' CLI in a subprocess: its pytest plugin would make each operation
a pytest item, and each would need the demo data again. Bounded: a few examples per operation and a fixed
seed, so a run takes well under a minute on two cores.
"""

import os
import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from schemathesis import openapi
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from auctions.models import Auction
from tests.conftest import token_for
from tests.e2e.server import daphne_servers  # noqa: F401  (fixture)
from tests.support.ci import required_in_ci

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
# Generous rates and lockout: the run makes hundreds of calls from one address, failed logins included.
SERVER_ENV = {
    "CDX_RATE_ANON": "100000/min",
    "CDX_RATE_READ": "100000/min",
    "CDX_RATE_WRITE": "100000/min",
    "CDX_LOGIN_FAILURE_LIMIT": "100000",
}
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "unsupported_method",
    "allow_header_conformance",
    "ignored_auth",
]
# The domains the test covers, each as the demo user who may make its calls: a trader, then the administrator
# for the staff calls (a trader only gets 403 there). Compliance's KYC call has its own tests.
TRADER_OPERATIONS = r"^/v1/(accounts|api-keys|auth|markets|orders|withdrawals|deposits|system|auctions|bids)"
STAFF_OPERATIONS = r"^/v1/(deposits|system/|auctions)"
MAX_EXAMPLES = 5
RUN_TIMEOUT_S = 240


@pytest.fixture
def demo(markets):
    call_command("seed_demo", stdout=StringIO())  # alice, bob and the others, funded; a resting book; an auction


@pytest.mark.parametrize(
    "username, operations", [("alice", TRADER_OPERATIONS), ("admin", STAFF_OPERATIONS)], ids=["trader", "staff"]
)
def test_every_answer_of_the_live_api_is_the_one_its_schema_states(daphne_servers, demo, username, operations, tmp_path):
    user = get_user_model().objects.get(username=username)
    required_in_ci(shutil.which(SCHEMATHESIS) is not None, f"{SCHEMATHESIS} is missing: pip install -r requirements.txt")
    server = daphne_servers.get(env=SERVER_ENV)
    command = [
        SCHEMATHESIS, "run", f"{server.base_url}/v1/schema",
        "--header", f"Authorization: Bearer {token_for(user)}",
        "--include-path-regex", operations,
        "--checks", ",".join(CHECKS),
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", "20261130",
        "--workers", "1",
        "--request-timeout", "20",
        "--no-shrink",
        "--suppress-health-check", "all",
        "--report", "junit", "--report-dir", str(tmp_path),
    ]  # fmt: skip
    env = {key: value for key, value in os.environ.items() if not key.startswith("SCHEMATHESIS_")}
    env["NO_COLOR"] = "1"
    run = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, env=env, cwd=tmp_path)
    assert run.returncode == 0, f"{run.stdout[-20000:]}\n{run.stderr[-3000:]}\nserver log:\n{server.log()}"
    assert "No issues found" in run.stdout or " passed" in run.stdout, run.stdout[-3000:]


ANSWER_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


class Caller:
    """One user's calls, each checked against the live server's own schema."""

    def __init__(self, schema, base_url: str, user):
        self.schema, self.base_url, self.token = schema, base_url, token_for(user)

    def __call__(self, method: str, path: str, expected: int, *, body=None, query=None, **path_parameters):
        parts = {"path_parameters": path_parameters, "body": body, "query": query}
        case = self.schema[path][method].Case(
            headers={"Authorization": f"Bearer {self.token}"}, **{name: part for name, part in parts.items() if part}
        )
        response = case.call_and_validate(base_url=self.base_url, checks=ANSWER_CHECKS)
        assert response.status_code == expected, f"{method} {path}: {response.status_code} {response.text[:500]}"
        return response.json()


def test_the_calls_that_succeed_answer_what_the_schema_states(daphne_servers, demo):
    required_in_ci(shutil.which(SCHEMATHESIS) is not None, f"{SCHEMATHESIS} is missing: pip install -r requirements.txt")
    server = daphne_servers.get(env=SERVER_ENV)
    schema = openapi.from_url(f"{server.base_url}/v1/schema")
    users = get_user_model().objects
    alice, admin = Caller(schema, server.base_url, users.get(username="alice")), Caller(schema, server.base_url, users.get(username="admin"))
    auction_id = Auction.objects.get().id

    tokens = alice("POST", "/v1/auth/token", 200, body={"username": "alice", "password": "alice-demo-pass"})
    refreshed = alice("POST", "/v1/auth/token/refresh", 200, body={"refresh": tokens["refresh"]})
    alice("POST", "/v1/auth/logout", 200, body={"refresh": refreshed["refresh"]})
    alice("GET", "/v1/accounts/me", 200)
    alice("GET", "/v1/markets", 200)
    order = alice("POST", "/v1/orders", 201, body={"symbol": "AAPL/USDC", "side": "buy", "order_type": "limit", "quantity": 3, "price": 140.25})
    alice("GET", "/v1/orders", 200, query={"status": "open", "limit": 5})
    alice("DELETE", "/v1/orders/{order_id}", 200, order_id=order["order_id"])
    alice("DELETE", "/v1/orders/{order_id}", 409, order_id=order["order_id"])
    alice("POST", "/v1/withdrawals", 201, body={"currency": "USDC", "amount": 25.5, "address": "0xdemo"})
    key = alice("POST", "/v1/api-keys", 201, body={"scopes": ["read"], "label": "bot"})
    alice("GET", "/v1/api-keys", 200)
    alice("DELETE", "/v1/api-keys/{api_key_id}", 200, api_key_id=key["api_key_id"])
    bid = alice("POST", "/v1/auctions/{auction_id}/bids", 201, auction_id=auction_id, body={"quantity": 10, "price": 151})
    alice("GET", "/v1/auctions/{auction_id}/bids", 200, auction_id=auction_id)
    alice("GET", "/v1/bids", 200, query={"auction_id": auction_id})
    alice("PATCH", "/v1/bids/{bid_id}", 200, bid_id=bid["bid_id"], body={"price": 152})
    alice("GET", "/v1/bids/{bid_id}", 200, bid_id=bid["bid_id"])
    alice("DELETE", "/v1/bids/{bid_id}", 200, bid_id=bid["bid_id"])
    alice("GET", "/v1/auctions/{auction_id}/result", 409, auction_id=auction_id)
    alice("GET", "/v1/system/status", 200)

    account_id = alice("GET", "/v1/accounts/me", 200)["account_id"]
    admin("POST", "/v1/deposits", 201, body={"account_id": account_id, "currency": "USDC", "amount": 100, "transaction_hash": "0xschema"})
    admin("PUT", "/v1/system/services/{service}", 200, service="market_data", body={"status": "degraded", "message": "Slow feed"})
    admin("PUT", "/v1/system/services/{service}", 200, service="market_data", body={"status": "operational"})
    notice = admin(
        "POST", "/v1/system/maintenance-notices", 201,
        body={"service": "compliance_service", "start_time": "2099-01-01T00:00:00Z", "end_time": "2099-01-01T01:00:00Z", "description": "Upgrade"},
    )  # fmt: skip
    admin("POST", "/v1/system/maintenance-notices/{notice_id}/cancel", 200, notice_id=notice["notice_id"])
    admin("GET", "/v1/auctions", 200, query={"status": "active"})
    admin("GET", "/v1/auctions/{auction_id}", 200, auction_id=auction_id)
    admin("POST", "/v1/auctions/{auction_id}/cancel", 200, auction_id=auction_id)
