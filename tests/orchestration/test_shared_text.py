"""Reading a DuckDB result a chunk at a time with text columns sharing one string per value."""

from __future__ import annotations

import duckdb
import pandas as pd

from orchestration import shared_text
from orchestration.shared_text import fetch_sharing_text, share_text

# 5,000 rows: three chunks of one DuckDB vector (2,048 rows) each when CHUNK_VECTORS is 1
SQL = """
    select i, 'rep-' || (i % 3) as rep, case when i % 7 = 0 then null else 'stage-' || (i % 2) end as stage,
           'id-' || i as id
    from range(5000) as t(i)
    order by i
"""


def test_a_result_read_in_chunks_is_the_frame_read_whole_with_one_string_per_value(monkeypatch) -> None:
    monkeypatch.setattr(shared_text, "CHUNK_VECTORS", 1)
    with duckdb.connect() as conn:
        whole = conn.execute(SQL).df()
        shared = fetch_sharing_text(conn.execute(SQL), ["rep", "stage"])
    pd.testing.assert_frame_equal(shared, whole)
    assert len({id(value) for value in shared["rep"]}) == 3  # across all three chunks
    assert len({id(value) for value in shared["stage"].dropna()}) == 2
    assert shared["stage"].isna().sum() == len(range(0, 5000, 7)) == 715
    assert shared["id"].nunique() == 5000  # a column not named is left as read


def test_an_empty_result_keeps_its_columns() -> None:
    with duckdb.connect() as conn:
        shared = fetch_sharing_text(conn.execute(SQL.replace("range(5000)", "range(0)")), ["rep"])
        whole = conn.execute(SQL.replace("range(5000)", "range(0)")).df()
    pd.testing.assert_frame_equal(shared, whole)


def test_sharing_keeps_values_and_dtype_of_a_frame() -> None:
    frame = pd.DataFrame({"stage": pd.Series(["".join(["a", "b"]), None, "ab", "c"], dtype="str"), "n": [1, 2, 3, 4]})
    expected = frame.copy()
    canonical: dict[str, str] = {}
    shared = share_text(frame, ["stage"], canonical)
    pd.testing.assert_frame_equal(shared, expected)
    assert shared["stage"].iloc[0] is shared["stage"].iloc[2] is canonical["ab"]
