"""Publication of the ``bi`` schema on PostgreSQL: a read-only role for BI tools.

BI tools connect with a login of their own that is a member of the reader role (by default
``salesops_bi_reader``, ``SALESOPS_PG_BI_ROLE``). The role may read the contracted ``bi`` views and
nothing else: no other schema, no writes. Views read the marts with their owner's rights, so the
role needs no grant on ``marts``. Default privileges make every view dbt (re)creates later in
``bi`` readable too, so a rebuild never locks the readers out.
"""

from __future__ import annotations

import os

from orchestration.postgres import PostgresSettings, connect

BI_SCHEMA = "bi"
READER_ROLE_VARIABLE = "SALESOPS_PG_BI_ROLE"
DEFAULT_READER_ROLE = "salesops_bi_reader"


def reader_role() -> str:
    """The reader role's name: ``$SALESOPS_PG_BI_ROLE`` or ``salesops_bi_reader``."""
    return os.environ.get(READER_ROLE_VARIABLE, DEFAULT_READER_ROLE)


def publish_bi_schema(settings: PostgresSettings, role: str) -> list[str]:
    """Create the reader role when missing (no login) and let it read the ``bi`` views, now and after
    every rebuild; returns the views it can read."""
    from psycopg import sql

    reader, schema = sql.Identifier(role), sql.Identifier(BI_SCHEMA)
    with connect(settings) as pg:
        exists = pg.execute("select 1 from pg_roles where rolname = %s", [role]).fetchone()
        if not exists:
            pg.execute(sql.SQL("create role {} nologin").format(reader))
        pg.execute(sql.SQL("create schema if not exists {}").format(schema))
        pg.execute(sql.SQL("revoke create on schema {} from public").format(schema))
        pg.execute(sql.SQL("grant usage on schema {} to {}").format(schema, reader))
        pg.execute(sql.SQL("grant select on all tables in schema {} to {}").format(schema, reader))
        pg.execute(sql.SQL("alter default privileges in schema {} grant select on tables to {}").format(schema, reader))
        views = pg.execute(
            "select table_name from information_schema.role_table_grants "
            "where grantee = %s and table_schema = %s and privilege_type = 'SELECT' order by 1",
            [role, BI_SCHEMA],
        ).fetchall()
    return [name for (name,) in views]
