"""What the ingestion comparisons share: one source object of the demo company loaded our way."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.ingest import SourceSpec, load_export_days, load_specs
from orchestration.ingest.files import landing_range
from orchestration.ingest.landing import LocalLanding


@dataclass(frozen=True)
class OursLoaded:
    spec: SourceSpec
    files: list[str]  # the export files of the object, every export day
    warehouse: Path  # a DuckDB file holding raw.<table> as our ingestion loaded it


def load_ours(demo_home: Path, folder: Path, table: str) -> OursLoaded:
    """Load every export day of ``table``'s source object from the demo landing into ``folder/ours.duckdb``."""
    spec = next(s for s in load_specs() if s.table_name == table)
    landing = demo_home / "landing"
    first, last = landing_range(landing, [spec])
    warehouse = folder / "ours.duckdb"
    with duckdb.connect(str(warehouse)) as conn:
        load_export_days(conn, spec, landing, first, last)
    files = [f.location for f in LocalLanding(landing).discover(spec, first, last)]
    return OursLoaded(spec, files, warehouse)
