"""Schemathesis against a real daphne: requests generated from the /v1/schema the server serves, as the demo
trader alice (JWT), and every answer checked against that same document (status documented, body and
headers as described, the right content type, no 500, bad input refused, undocumented methods 405 with Allow).

Run through schemathesis' CLI in a subprocess: its pytest plugin would drive the calls inside pytest's own
test items, where the test database and the server's are not the one transaction it needs here.
Bounded: a few examples per operation and a fixed seed, so a run takes well under a minute on two cores.
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


@pytest.mark.parametrize("username, operations", [("alice", TRADER_OPERATIONS), ("admin", STAFF_OPERATIONS)])
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
