"""Why the order benchmark's 5xx answers happened comes from the server's log, most frequent first."""

from bench.orders.scenario import _error_causes
from bench.servers import Environment

TRACEBACK = """Internal Server Error: /v1/orders
Traceback (most recent call last):
  File "/site-packages/django/db/backends/base/base.py", line 279, in ensure_connection
    self.connect()
psycopg.OperationalError: connection failed: FATAL:  sorry, too many clients already
"""


def test_the_exceptions_in_the_server_log_are_counted(tmp_path):
    (tmp_path / "server-project-orders-1m.log").write_text(TRACEBACK * 2 + "ValueError: bad\n")
    (tmp_path / "server-project-orders-4m.log").write_text(TRACEBACK)  # another scenario's log: not read
    env = Environment(database_url="", jwt_secret="", redis_url="", workdir=tmp_path)
    assert _error_causes(env, "server-project-orders-1m*.log") == [
        "2x psycopg.OperationalError: connection failed: FATAL:  sorry, too many clients already",
        "1x ValueError: bad",
    ]
