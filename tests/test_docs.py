"""The documentation site (docs/, built by `make docs` with warnings as errors, also in `make test`): its pages
stand on their own, and its generated event tables cover every channel and every declared event."""

import importlib.util
import re
from pathlib import Path

from streams import registry
from streams.asyncapi import document
from streams.events import declared

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").glob("*.md"))


def generated_pages():
    spec = importlib.util.spec_from_file_location("generated_pages", ROOT / "docs" / "hooks" / "generated_pages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_page_refers_to_a_file_outside_the_repository():
    assert PAGES
    for page in [*PAGES, ROOT / "CHANGELOG.md"]:
        text = page.read_text()
        assert not re.search(r"CONTRACT\.md|seeds/|\.\./shared", text), page.name


def test_the_events_page_has_every_channel_and_every_declared_event():
    page = generated_pages().events_page(document())
    headings = set(re.findall(r"^#{2,3} (\S+)$", page, flags=re.MULTILINE))
    assert set(registry.names()) <= headings
    assert set(declared()) <= headings
    assert "| `quantity` | decimal |" in page  # a field of order_created, typed from its declaration
