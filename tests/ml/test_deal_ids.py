"""Opportunity ids coded as their 64-bit hash for the model's work, and back."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.deal_ids import DealIds, deal_hashes

IDS = pd.Series(["006A1", "006B2", "006C3", "006D4"])


def test_a_coded_id_is_pandas_hash_of_the_text_id_and_its_own_hash() -> None:
    expected = pd.util.hash_pandas_object(IDS, index=False).to_numpy()
    coded = DealIds.of(IDS).code(pd.DataFrame({"opportunity_id": IDS, "amount": [1.0, 2.0, 3.0, 4.0]}))
    assert coded["opportunity_id"].dtype == np.uint64
    assert coded["opportunity_id"].tolist() == expected.tolist()
    assert deal_hashes(coded["opportunity_id"]).tolist() == deal_hashes(IDS).tolist() == expected.tolist()
    assert coded["amount"].tolist() == [1.0, 2.0, 3.0, 4.0]


def test_decoding_gives_the_text_ids_back_in_the_frame_s_order() -> None:
    ids = DealIds.of(IDS)
    frame = pd.DataFrame({"opportunity_id": ["006C3", "006A1", "006C3", "nobody"], "row": [0, 1, 2, 3]})
    decoded = ids.decode(ids.code(frame))
    assert decoded["opportunity_id"].tolist()[:3] == ["006C3", "006A1", "006C3"]
    assert pd.isna(decoded["opportunity_id"].iloc[3])  # an id the coder was not made from has no text to go back to
    assert decoded["row"].tolist() == [0, 1, 2, 3]
    assert ids.decode(frame) is frame  # text ids are left as they are


def test_when_two_ids_share_a_hash_the_text_ids_are_kept() -> None:
    clash = DealIds(None)  # what DealIds.of makes when hashes are not unique
    frame = pd.DataFrame({"opportunity_id": IDS})
    assert not clash.coded
    assert clash.code(frame) is frame and clash.decode(frame) is frame
    assert DealIds.of(pd.concat([IDS, IDS])).coded  # repeated ids are not a clash
