"""Text columns whose rows share one Python string per distinct value, for large reads into pandas.

A query result becomes one Python string object per row and text column (about 50 bytes beyond the
text itself). For a column of few distinct values (a rep, an account, a stage, a product family)
sharing one object per value keeps the same values in a fraction of the memory: at 10M order lines
the win-probability read of 3.9M opportunities held 1.47 GB of text. The sharing has to happen while
reading, a chunk at a time: strings freed after the whole result is in memory stay in Python's
allocator and the process's memory does not shrink.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import duckdb
import numpy as np
import pandas as pd

CHUNK_VECTORS = 128  # DuckDB vectors of 2,048 rows per chunk of a read: 262,144 rows


def share_text(frame: pd.DataFrame, columns: Iterable[str], canonical: dict[str, str]) -> pd.DataFrame:
    """``frame`` with each of ``columns`` rebuilt from one string object per value (``canonical``,
    value → the object every row of every chunk shares, grows as new values appear); missing values
    stay missing. The values and dtypes do not change."""
    for column in columns:
        codes, uniques = pd.factorize(frame[column])
        shared = np.array([canonical.setdefault(value, value) for value in uniques] + [None], dtype=object)
        frame[column] = pd.Series(shared[codes], index=frame.index, dtype=frame[column].dtype)  # code -1: the None
    return frame


def fetch_sharing_text(result: duckdb.DuckDBPyConnection, columns: Sequence[str]) -> pd.DataFrame:
    """The rest of a DuckDB result as one frame (as ``result.df()``), read a chunk at a time with
    ``columns`` sharing one string per distinct value (:func:`share_text`)."""
    canonical: dict[str, str] = {}
    chunk = result.fetch_df_chunk(CHUNK_VECTORS)  # kept even when empty: an empty result keeps its columns
    chunks = []
    while True:
        chunks.append(share_text(chunk, columns, canonical))
        chunk = result.fetch_df_chunk(CHUNK_VECTORS)
        if chunk.empty:
            break
    return chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)
