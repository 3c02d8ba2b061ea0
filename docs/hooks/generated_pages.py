"""MkDocs hooks: the pages written from the code rather than by hand.

- websocket-events.md: every channel, its subscribe parameters and every event with its fields, from the
  AsyncAPI document the gateway serves (streams.asyncapi), so the tables cannot drift from the declarations;
- asyncapi.json / asyncapi.yaml: that document itself;
- changelog.md: the repository's CHANGELOG.md.
"""

import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]


def asyncapi_document() -> dict[str, Any]:
    """The document as the gateway serves it: Django set up, so the apps have registered their channels."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cantondex.settings")
    import django

    django.setup()
    from streams.asyncapi import document

    return document()


def on_files(files: Files, config: MkDocsConfig) -> Files:
    spec = asyncapi_document()
    files.append(File.generated(config, "websocket-events.md", content=events_page(spec)))
    files.append(File.generated(config, "asyncapi.json", content=json.dumps(spec, indent=2)))
    files.append(File.generated(config, "asyncapi.yaml", content=yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)))
    changelog = (ROOT / "CHANGELOG.md").read_text().replace("](docs/", "](")
    files.append(File.generated(config, "changelog.md", content=changelog))
    return files


def events_page(spec: dict[str, Any]) -> str:
    messages = spec["components"]["messages"]
    lines = [
        "# Channels and events",
        "",
        f"Generated from the AsyncAPI document of version {spec['info']['version']} ([asyncapi.yaml](asyncapi.yaml),",
        "[asyncapi.json](asyncapi.json); the gateway serves the same at `/v1/asyncapi.json`). Every event also has",
        "`type`, `channel`, `sequence` and `timestamp`, and `snapshot: true` when it is part of a snapshot; see the",
        "[WebSocket protocol](websocket.md) for what they mean.",
        "",
        "## Client messages",
        "",
        "| type | what it does | fields |",
        "|---|---|---|",
    ]
    connection = spec["channels"]["connection"]["messages"]
    for key in connection:
        message = messages[key]
        fields = ", ".join(f"`{name}`" for name in message["payload"]["properties"] if name != "type")
        direction = "client → server" if f"send_{key}" in spec["operations"] else "server → client"
        lines.append(f"| `{message['name']}` ({direction}) | {message['summary']} | {fields} |")
    for name, channel in spec["channels"].items():
        if name == "connection":
            continue
        lines += ["", f"## {name}", "", channel["description"], ""]
        parameters = channel.get("x-subscribe-parameters", {}).get("properties", {})
        if parameters:
            lines += ["Subscribe parameters:", "", "| parameter | type | meaning |", "|---|---|---|"]
            lines += [f"| `{key}` | {type_name(schema)} | {schema.get('description', '')} |" for key, schema in parameters.items()]
            lines.append("")
        for key in channel["messages"]:
            lines += event_section(messages[key])
    return "\n".join(lines) + "\n"


def event_section(message: dict[str, Any]) -> list[str]:
    payload = message["payload"]["properties"]
    delivery = {"type", "channel", "sequence", "timestamp", "snapshot", "aggregation"}
    lines = ["", f"### {message['name']}", ""]
    if message.get("summary"):
        lines += [message["summary"], ""]
    envelope = [name for name, schema in payload.items() if name not in delivery and schema.get("type") == "object" and "properties" in schema]
    fields = payload[envelope[0]]["properties"] if envelope else {k: v for k, v in payload.items() if k not in delivery}
    if envelope:
        lines += [f"Fields under `{envelope[0]}`:", ""]
    lines += ["| field | type |", "|---|---|"]
    lines += [f"| `{name}` | {type_name(schema)} |" for name, schema in fields.items()]
    return lines


def type_name(schema: dict[str, Any]) -> str:
    if "oneOf" in schema:
        return " or ".join(type_name(option) for option in schema["oneOf"])
    if "enum" in schema:
        return " / ".join(f"`{value}`" for value in schema["enum"])
    kind = schema.get("type")
    if kind == "number":
        return "decimal"
    if kind == "string" and schema.get("format") == "date-time":
        return "timestamp"
    if kind == "array":
        return f"list of {type_name(schema.get('items', {}))}"
    if kind == "object" and "additionalProperties" in schema:
        return f"map of {type_name(schema['additionalProperties'])}"
    return str(kind) if kind else "any"
