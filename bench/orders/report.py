"""The order benchmark's printed result: one column per scenario, then the figures of the whole run."""

from bench.report import _fmt, grid


def _ms(summary: dict) -> str:
    return f"{_fmt(summary['p50'])}/{_fmt(summary['p99'])}/{_fmt(summary['max'])}"


def rows(result: dict) -> list[tuple[str, str]]:
    http, checked = result["http"], result["events"]
    peak = result["db_connections_peak"]
    return [
        ("orders answered 201 / sent", f"{http['created_201']}/{result['orders_sent']}"),
        ("orders/s (201 answers)", _fmt(result["orders_per_s"], 1) + (f" (target {result['target_rate']:g})" if result["target_rate"] else "")),
        ("REST latency p50/p99/max ms", _ms(result["rest_ms"])),
        ("order_created delay p50/p99/max ms", _ms(result["order_created_ms"])),
        ("trade_executed delay p50/p99/max ms", _ms(result["trade_executed_ms"])),
        ("orders filled on arrival %", _fmt(result["filled_on_arrival_share"] * 100)),
        ("trades", str(result["trades"])),
        ("HTTP 5xx answers", str(http["server_errors_5xx"])),
        ("HTTP 4xx answers / no answer", f"{http['client_errors_4xx']}/{http['no_answer']}"),
        ("HTTP connections opened", str(http["connections_opened"])),
        ("peak DB connections", "-" if peak is None else str(peak)),
        ("server CPU %, load client CPU %", f"{_fmt((result['server_cpu_share'] or 0) * 100)}/{_fmt((result['client_cpu_share'] or 0) * 100)}"),
        ("socket events received/expected", f"{checked['received']}/{checked['expected']}"),
        ("event check", "passed" if checked["passed"] else f"FAILED ({len(checked['problems'])} problems)"),
        ("server pings answered", str(result["pings_answered"])),
    ]


def table(results: list[dict]) -> str:
    return grid([f"{r['markets']} market{'s' if r['markets'] > 1 else ''}" for r in results], [rows(r) for r in results])


def lines(statements: dict, reference: dict, results: list[dict], on_postgres: bool) -> list[str]:
    out = [
        f"SQL statements per order that rests: {statements['resting']}; per order that fills once: {statements['filling']} "
        f"({statements['method']}; {statements['markets_in_database']} markets in the database; not counted: "
        f"{statements['wakeups_resting']} and {statements['wakeups_filling']} relay wake-ups that only a process "
        f"without a relay sends)",
        f"SQL statements per whole POST /v1/orders: {statements['request_resting']} that rests, "
        f"{statements['request_filling']} that fills once (the same, through Django's test client)",
        f"pgbench -N simple-update TPS, {reference.get('clients', '-')} clients, same server: "
        + (f"{reference['tps']:,.0f}" if reference["tps"] else f"not measured ({reference['note']})"),
    ]
    if not on_postgres:
        out.append("note: SQLite run; the peak database connections and pgbench figures need PostgreSQL and are skipped")
    for result in results:
        http = result["http"]
        if http["errors"]:
            out.append(f"{result['markets']} market(s): failed requests, most frequent first:")
            out.extend(f"  {error}" for error in http["errors"])
        if http["server_error_causes"]:
            out.append(f"{result['markets']} market(s): exceptions in the server's log, most frequent first:")
            out.extend(f"  {cause}" for cause in http["server_error_causes"])
        checked = result["events"]
        if checked["passed"]:
            out.append(f"{result['markets']} market(s): every event arrived once, in order ({checked['received']} events)")
        else:
            out.append(f"{result['markets']} market(s): EVENT CHECK FAILED:")
            out.extend(f"  {problem}" for problem in checked["problems"][:30])
            if len(checked["problems"]) > 30:
                out.append(f"  ... {len(checked['problems']) - 30} more (all in --json)")
    return out
