"""Opportunity ids as 64-bit integers for the model's work, and the hash that orders deals.

The win-probability features join, look up and group millions of deals by their id again and again
(at 10M order lines, 3.9M opportunities and 3.5M closes): with the CRM's text ids each of those
passes hashes Python strings, and that was most of the step. :class:`DealIds` replaces each id by
pandas' 64-bit hash of it (``pd.util.hash_pandas_object``, the same on every run and machine) while
the model works, and puts the text ids back on what it returns.

The deal sample and the model's tie order are chosen by that same hash (:func:`deal_hashes`), so a
coded id is its own hash and the model picks the same deals and fits the same trees whichever form
the ids come in. Should two ids of one CRM ever share a hash (about one chance in 2.5 million at 4M
opportunities), the coder keeps the text ids: slower, never wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

ID = "opportunity_id"
CODE_DTYPE = np.dtype(np.uint64)


def deal_hashes(ids: pd.Series) -> np.ndarray:
    """pandas' hash of each id, the order deals are sampled and tied in; ids coded by :class:`DealIds`
    (unsigned 64-bit integers) are that hash already."""
    if ids.dtype == CODE_DTYPE:
        return ids.to_numpy()
    # pd.util.hash_pandas_object's hash, without its first pass that factorizes the values (ids are
    # nearly all distinct: 3.0 s → 0.4 s for 3.9M of them). The two differ only for a missing id,
    # which the warehouse's keys never are (fct_opportunities.opportunity_id is tested not null).
    return pd.util.hash_array(ids.to_numpy(dtype=object), categorize=False)


@dataclass(frozen=True)
class DealIds:
    """Codes the ``opportunity_id`` column of frames as :func:`deal_hashes` and decodes it back.

    Made from every id the frames may hold (:meth:`of`); ``texts`` (code → text id, what decoding
    looks up) is None when two of them share a hash, and coding then leaves the frames as they are.
    """

    texts: pd.Series | None

    @classmethod
    def of(cls, ids: pd.Series) -> DealIds:
        """The coder of these (distinct) text ids."""
        texts = pd.Series(ids.to_numpy(dtype=object), index=pd.Index(deal_hashes(ids)))
        if not texts.index.is_unique:  # a repeated id, or a clash: only the second matters (hashing text costs seconds)
            texts = texts[~texts.duplicated()]
        return cls(texts if texts.index.is_unique else None)

    @property
    def coded(self) -> bool:
        """Whether :meth:`code` turns ids into integers (False after a clash of hashes)."""
        return self.texts is not None

    def code(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with its ids as their codes (hashed directly: the ids need not be among ``texts``)."""
        if not self.coded:
            return frame
        return frame.assign(**{ID: deal_hashes(frame[ID])})

    def decode(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with its coded ids as the text ids again."""
        if not self.coded or frame[ID].dtype != CODE_DTYPE:
            return frame
        return frame.assign(**{ID: self.texts.reindex(frame[ID].to_numpy()).to_numpy()})
