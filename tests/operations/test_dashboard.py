"""The Grafana dashboard (deploy/grafana/cantondex.json) and the scrape agree: every series a panel queries is
exported, and every cantondex_* series is on a panel."""

import json
import re
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "cantondex.json"
SERIES_NAME = re.compile(r"\b(?:cantondex|django)_[a-z0-9_]+\b")
# The sample names of one family, as PromQL queries them.
SAMPLE_SUFFIXES = {"counter": ["_total"], "gauge": [""], "histogram": ["_bucket", "_count", "_sum"], "summary": ["", "_count", "_sum"]}


def queried() -> set[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return {name for panel in panels for target in panel["targets"] for name in SERIES_NAME.findall(target["expr"])}


@pytest.fixture
def scraped(client, transactional_db) -> dict[str, set[str]]:
    """Each family of a scrape of this process: its sample names."""
    body = client.get("/metrics").content.decode()
    return {
        family.name: {family.name + suffix for suffix in SAMPLE_SUFFIXES.get(family.type, [""])}
        for family in text_string_to_metric_families(body)
    }


def test_every_series_the_dashboard_queries_is_exported(scraped):
    exported = set().union(*scraped.values())
    assert queried() - exported == set()


def test_every_cantondex_series_is_on_the_dashboard(scraped):
    on_dashboard = queried()
    missing = sorted(name for name, samples in scraped.items() if name.startswith("cantondex_") and not samples & on_dashboard)
    assert missing == []
    assert len([name for name in scraped if name.startswith("cantondex_")]) >= 17, "the gateway's series are all registered"
