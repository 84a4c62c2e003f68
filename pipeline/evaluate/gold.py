"""Gold files: ids plus hand-written labels; the texts stay in the corpus and are read by id."""

from __future__ import annotations

import hashlib

TEST_SHARE = 3  # tenths of the items held back as the `test` split


def split_of(item_id: str) -> str:
    """`test` for about 30% of ids (a stable hash), `tune` for the rest."""
    bucket = int(hashlib.sha256(item_id.encode("utf-8")).hexdigest(), 16) % 10
    return "test" if bucket < TEST_SHARE else "tune"
