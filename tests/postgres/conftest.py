"""A throw-away PostgreSQL database per test module, on the server the SALESOPS_PG_* variables name.

Every test here is marked ``postgres`` and skips, saying why, when no server is reachable
(`.ci/postgres.sh` starts one and exports the variables; see docs/postgres.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest

from orchestration.postgres import PostgresSettings, connect


@pytest.fixture(scope="module")
def postgres_database() -> Iterator[PostgresSettings]:
    """Settings of a new, empty database on the configured server, dropped after the module."""
    import psycopg

    server = PostgresSettings.from_env()
    try:
        admin = connect(server, autocommit=True)
    except psycopg.OperationalError as error:
        pytest.skip(
            f"no PostgreSQL server reachable at {server.describe()} ({str(error).strip().splitlines()[0]}); "
            "set SALESOPS_PG_HOST/PORT/USER/PASSWORD/DATABASE or run `. .ci/postgres.sh`"
        )
    name = f"salesops_test_{uuid.uuid4().hex[:10]}"
    with admin:
        admin.execute(f'create database "{name}"')
        try:
            yield replace(server, database=name)
        finally:
            admin.execute(f'drop database if exists "{name}" with (force)')
