"""The benchmark's printed result: one table of figures, the ratios, and the issue's targets."""

import math

TARGETS = {
    "naive_ratio": 12.0,  # burst deliveries/s, project / naive Channels
    "bare_ratio": 0.4,  # burst deliveries/s, project / bare websockets
    "p99_ms": 50.0,  # at the steady rate
    "connects_per_s": 600.0,
    "kb_per_connection": 40.0,
}


def _fmt(value: float, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def rows(result: dict) -> list[tuple[str, str]]:
    storm, memory, burst, steady = result["storm"], result["memory"], result["burst"], result["steady"]
    return [
        ("clients subscribed", f"{storm['ok']}/{result['clients']}"),
        ("connect+auth+subscribe /s", _fmt(storm["rate"])),
        ("storm: server CPU ms per connection", _fmt(storm["server_cpu_ms_per_connection"], 2)),
        ("RSS per idle subscribed conn KB", _fmt(memory["per_connection_kb"], 1)),
        ("burst: delivered", f"{burst['received']}/{burst['expected']}"),
        ("burst: deliveries/s", _fmt(burst["rate"])),
        ("burst: latency p50/p99/max ms", f"{_fmt(burst['p50'])}/{_fmt(burst['p99'])}/{_fmt(burst['max'])}"),
        ("burst: server CPU, client CPU %", f"{_fmt(burst['server_cpu_share'] * 100)}/{_fmt(burst['client_cpu_share'] * 100)}"),
        ("steady: delivered", f"{steady['received']}/{steady['expected']}"),
        ("steady: deliveries/s", _fmt(steady["rate"])),
        ("steady: latency min ms", _fmt(steady["min"], 1)),
        ("steady: latency p50 ms", _fmt(steady["p50"], 1)),
        ("steady: latency p99 ms", _fmt(steady["p99"], 1)),
        ("steady: latency max ms", _fmt(steady["max"], 1)),
        ("steady: client CPU %", _fmt(steady["client_cpu_share"] * 100)),
        ("GC storm: n, pauses total/max, CPU ms", _gc(storm)),
        ("GC burst: n, pauses total/max, CPU ms", _gc(burst)),
        ("GC steady: n, pauses total/max, CPU ms", _gc(steady)),
        ("GC steady: full n, max ms", _gc_full(steady)),
        ("sequence gaps seen", str(burst["gaps"] + steady["gaps"])),
        ("storm: client CPU s", _fmt(storm["cpu_seconds"], 2)),
    ]


def _gc(phase: dict) -> str:
    gc = phase.get("gc")
    return f"{gc['collections']}, {_fmt(gc['total_ms'], 1)}/{_fmt(gc['max_ms'], 1)}, {_fmt(gc['cpu_ms'], 1)}" if gc else "-"


def _gc_full(phase: dict) -> str:
    gc = phase.get("gc")
    return f"{gc['full']}, {_fmt(gc['full_max_ms'], 1)}" if gc else "-"


def table(results: list[dict]) -> str:
    if not results:
        return "(no server was measured)"
    return grid([r["label"] for r in results], [rows(r) for r in results])


def grid(names: list[str], columns: list[list[tuple[str, str]]]) -> str:
    """A Markdown table: one row per figure, one column of values per name (each column's rows in the same order)."""
    labels = [label for label, _ in columns[0]]
    headers = ["figure", *names]
    cells = [[label] + [column[i][1] for column in columns] for i, label in enumerate(labels)]
    widths = [max(len(row[j]) for row in [headers, *cells]) for j in range(len(headers))]

    def line(row: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths, strict=True))) + " |"

    rule = "|" + "|".join("-" * (w + 2) if j == 0 else "-" * (w + 1) + ":" for j, w in enumerate(widths)) + "|"
    return "\n".join([line(headers), rule] + [line(row) for row in cells])


def verdicts(results: list[dict]) -> list[str]:
    """The issue's targets, checked for each project server against the baselines of the same run."""
    by_name = {r["target"]: r for r in results}
    naive, bare = by_name.get("naive"), by_name.get("bare")
    lines = []
    for project in results:
        if not project["target"].startswith("project"):
            continue
        label = project["label"]
        rate = project["burst"]["rate"]
        if naive:
            ratio = rate / naive["burst"]["rate"] if naive["burst"]["rate"] else math.inf
            lines.append(_check(f"{label} / naive Channels, burst deliveries/s", ratio, TARGETS["naive_ratio"], "x", ">="))
        if bare:
            ratio = rate / bare["burst"]["rate"] if bare["burst"]["rate"] else math.inf
            lines.append(_check(f"{label} / bare websockets, burst deliveries/s", ratio, TARGETS["bare_ratio"], "x", ">="))
        lines.append(_check(f"{label} p99 at {project['steady']['rate']:,.0f} deliveries/s", project["steady"]["p99"], TARGETS["p99_ms"], " ms", "<="))
        lines.append(_check(f"{label} connect+auth+subscribe", project["storm"]["rate"], TARGETS["connects_per_s"], "/s", ">="))
        lines.append(_check(f"{label} RSS per idle connection", project["memory"]["per_connection_kb"], TARGETS["kb_per_connection"], " KB", "<="))
    return lines


def hold_lines(hold: dict) -> list[str]:
    held, memory, burst = hold["held"], hold["memory"], hold["burst"]
    ok = held["open"] == hold["clients"] and burst["received"] == burst["expected"]
    return [
        f"{'MET ' if ok else 'MISS'} {held['open']:,}/{hold['clients']:,} connections still open after {hold['seconds']:g} s "
        f"with server pings every {hold['ping_interval_s']:g} s ({held['pongs']:,} pongs sent; closed: {held['closed'] or 'none'})",
        f"     connect+auth+subscribe {hold['storm']['rate']:,.0f}/s; RSS {memory['rss_before_kb'] / 1024:,.0f} -> "
        f"{memory['rss_after_kb'] / 1024:,.0f} MB = {memory['per_connection_kb']:.1f} KB per connection",
        f"     burst of {burst['expected'] // max(1, held['open'])} events to all: {burst['received']:,}/{burst['expected']:,} "
        f"delivered, {burst['rate']:,.0f}/s, p99 {_fmt(burst['p99'])} ms",
    ]


def _check(what: str, value: float, target: float, unit: str, direction: str) -> str:
    met = value >= target if direction == ">=" else value <= target
    digits = 2 if unit == "x" else (1 if unit in (" ms", " KB") else 0)
    return f"{'MET ' if met else 'MISS'} {what}: {_fmt(value, digits)}{unit} (target {direction} {target:g}{unit})"
