"""How a transactional test's database is emptied afterwards (Django's flush), made fast and safe on PostgreSQL.

Django empties every table with one TRUNCATE. On PostgreSQL that costs about half a second for our 56 tables
(each gets a new file) and post_migrate then inserts the content types and permissions again; with some 500
transactional tests that was a third of the suite. Here the flush is one transaction of DELETEs with the foreign
keys checked at its commit (Django declares them DEFERRABLE INITIALLY DEFERRED): milliseconds on tables a test
filled with a few rows. The reference rows that post_migrate would recreate (content types, permissions, groups)
stay; post_migrate still runs after every flush and brings them, and the role groups, back to what the code says.

Tests that start daphne let it run its background jobs, as in production. A job's transaction may hold rows the
flush needs while it waits for one the flush has locked already; PostgreSQL then aborts the flush as the
deadlock's victim, and the next test would start on the last one's rows. The flush rolled back whole, so it is
run again once the job has gone on.
"""

from collections.abc import Sequence

import pytest
from django.db import OperationalError
from django.db.backends.base.operations import BaseDatabaseOperations

# Rows that migrations and post_migrate make, not tests.
REFERENCE_TABLES = frozenset({"django_content_type", "auth_permission", "auth_group", "auth_group_permissions"})
FLUSH_ATTEMPTS = 5


def flush_patch(patch: pytest.MonkeyPatch, operations: type[BaseDatabaseOperations]) -> None:
    """Puts the DELETE flush (PostgreSQL only) and the retry after a deadlock (every backend) on `operations`."""
    sql_flush = operations.sql_flush
    execute_sql_flush = operations.execute_sql_flush

    def sql_flush_by_delete(self, style, tables: Sequence[str], *, reset_sequences=False, allow_cascade=False):
        if self.connection.vendor != "postgresql" or reset_sequences or not tables:
            return sql_flush(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        emptied = [f"DELETE FROM {self.quote_name(table)}" for table in tables if table not in REFERENCE_TABLES]
        return ["SET CONSTRAINTS ALL DEFERRED", *emptied]

    def execute_sql_flush_retried(self, sql_list):
        for attempt in range(1, FLUSH_ATTEMPTS + 1):
            try:
                return execute_sql_flush(self, sql_list)
            except OperationalError as error:
                if "deadlock detected" not in str(error) or attempt == FLUSH_ATTEMPTS:
                    raise

    patch.setattr(operations, "sql_flush", sql_flush_by_delete)
    patch.setattr(operations, "execute_sql_flush", execute_sql_flush_retried)
