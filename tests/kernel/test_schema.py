"""The OpenAPI document builds without a warning, validates, and states every answer, errors included."""

import io

import pytest
import yaml
from django.core.management import call_command

from kernel.json import loads


@pytest.fixture(scope="module")
def schema() -> dict:
    out = io.StringIO()
    # --fail-on-warn: any warning (an enum name collision, an unresolvable view) fails the command.
    call_command("spectacular", "--fail-on-warn", "--validate", stdout=out)
    return yaml.safe_load(out.getvalue())


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method.upper(), operation


def test_the_schema_builds_with_no_warning_and_validates(schema):
    assert schema["openapi"].startswith("3.") and schema["paths"]


def test_every_error_answer_is_the_error_envelope(schema):
    envelope = schema["components"]["schemas"]["Error"]
    assert set(envelope["required"]) == {"code", "message", "details"}
    for path, method, operation in operations(schema):
        errors = {status: answer for status, answer in operation["responses"].items() if int(status) >= 400}
        assert {"429", "503"} <= set(errors), (method, path)
        for status, answer in errors.items():
            assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, (method, path, status)


def test_errors_follow_from_what_the_operation_is(schema):
    for path, method, operation in operations(schema):
        statuses = set(operation["responses"])
        security = operation.get("security", [])
        public = not security or {} in security
        assert ("403" in statuses) is not public, (method, path)
        if "{" in path:
            assert {"400", "404"} <= statuses, (method, path)
        if "requestBody" in operation:
            assert {"400", "415"} <= statuses, (method, path)
        if not public:
            assert "401" in statuses and "WWW-Authenticate" in operation["responses"]["401"]["headers"], (method, path)


def test_a_delete_documents_the_200_body_it_answers(schema):
    cancel = schema["paths"]["/v1/orders/{order_id}"]["delete"]["responses"]
    assert "204" not in cancel
    assert cancel["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/OrderCancelled"}
    assert "204" not in schema["paths"]["/v1/bids/{bid_id}"]["delete"]["responses"]


def test_the_served_schema_is_the_same_document(client, schema):
    response = client.get("/v1/schema?format=json")
    assert response.status_code == 200 and loads(response.content)["paths"].keys() == schema["paths"].keys()
