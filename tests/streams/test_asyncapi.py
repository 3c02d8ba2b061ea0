"""The AsyncAPI document: generated from the registry, the event declarations and the consumer's handlers,
served as JSON and YAML, and valid for the maintained @asyncapi/parser (under Node)."""

import json
import shutil
import subprocess
from pathlib import Path

import yaml
from django.conf import settings

from streams import client_messages, registry
from streams.asyncapi import document
from streams.consumer import GatewayConsumer
from streams.events import declared, field_types
from streams.protocol import ErrorCode
from tests.support.ci import required_in_ci

JS_DIR = Path(__file__).resolve().parents[1] / "js"


def test_every_registered_channel_is_a_channel_with_a_receive_operation():
    spec = document()
    assert registry.names()  # the apps registered theirs at start
    for name in registry.names():
        assert spec["channels"][name]["address"] == name
        assert spec["operations"][f"receive_{name}"]["channel"] == {"$ref": f"#/channels/{name}"}


def test_every_declared_event_is_a_message_of_its_channel_with_every_field():
    spec = document()
    for kind, event in declared().items():
        assert kind in spec["channels"][event.channel]["messages"], kind
        payload = spec["components"]["messages"][kind]["payload"]
        assert payload["properties"]["type"]["const"] == kind
        body = payload["properties"][event.envelope]["properties"] if event.envelope else payload["properties"]
        assert set(field_types(event)) <= set(body), kind
        assert {"channel", "sequence", "timestamp"} <= set(payload["required"])


def test_every_client_message_type_the_consumer_handles_is_a_send_operation():
    spec = document()
    handled = set(GatewayConsumer.HANDLERS) | set(client_messages.described())
    assert "submit_bid" in handled  # a domain app's message (auctions), registered at start
    assert {name.removeprefix("send_") for name in spec["operations"] if name.startswith("send_")} == handled
    assert spec["components"]["messages"]["submit_bid"]["payload"]["required"] == ["type", "auction_id", "payload"]
    assert {"$ref": "#/channels/connection/messages/bid_rejected_reply"} in spec["operations"]["send_submit_bid"]["reply"]["messages"]
    assert {"place_order", "cancel_order", "cancel_all", "cancel_all_after", "set_cancel_on_disconnect"} <= handled  # trading's
    place_order = spec["components"]["messages"]["place_order"]["payload"]
    assert place_order["required"] == ["type", "symbol", "side", "order_type", "quantity"]
    assert place_order["properties"]["time_in_force"]["enum"] == ["gtc", "ioc", "fok"]
    assert [reply["$ref"] for reply in spec["operations"]["send_place_order"]["reply"]["messages"]] == [
        f"#/channels/connection/messages/{kind}" for kind in ("order_accepted_reply", "order_rejected_reply", "error")
    ]
    accepted = spec["components"]["messages"]["order_accepted_reply"]["payload"]["properties"]
    assert {"request", "order", "created", "cancelled", "trigger_time", "cancel_on_disconnect"} <= set(accepted)
    assert "payload" not in accepted  # trading's replies are flat; the auction seed's keep their payload
    assert "payload" in spec["components"]["messages"]["bid_accepted_reply"]["payload"]["properties"]
    subscribe = spec["components"]["messages"]["subscribe"]["payload"]["properties"]
    assert subscribe["channel"]["enum"] == registry.names()
    errors = spec["components"]["messages"]["error"]["payload"]["properties"]["code"]["examples"]
    assert errors == [str(code) for code in ErrorCode]


def test_decimal_and_optional_fields_have_their_json_types():
    order_created = document()["components"]["messages"]["order_created"]["payload"]["properties"]
    assert order_created["quantity"]["type"] == "number"
    assert order_created["price"]["oneOf"][1] == {"type": "null"}
    assert order_created["symbol"] == {"type": "string"}


def test_the_version_is_the_rest_apis():
    assert document()["info"]["version"] == settings.API_VERSION == settings.SPECTACULAR_SETTINGS["VERSION"]


def test_served_as_json_and_yaml_without_login(client):
    as_json = client.get("/v1/asyncapi.json")
    as_yaml = client.get("/v1/asyncapi.yaml")
    assert as_json.status_code == as_yaml.status_code == 200
    assert as_yaml["Content-Type"].startswith("application/yaml")
    assert json.loads(as_json.content) == yaml.safe_load(as_yaml.content) == json.loads(json.dumps(document()))


def test_the_maintained_asyncapi_parser_finds_no_error(tmp_path):
    node = shutil.which("node")
    required_in_ci(node is not None, "node is not installed")
    required_in_ci((JS_DIR / "node_modules" / "@asyncapi" / "parser").is_dir(), "run `npm ci --prefix tests/js` first")
    assert node is not None
    path = tmp_path / "asyncapi.json"
    path.write_text(json.dumps(document()))
    result = subprocess.run([node, str(JS_DIR / "validate_asyncapi.js"), str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {"valid": True, "version": "3.0.0", "channels": len(document()["channels"])}

