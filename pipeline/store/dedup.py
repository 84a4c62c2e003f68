"""Content signatures that tell copies of one story apart from different stories.

Two signatures are computed from an article's text (never its title, which
editors change):

- the **fingerprint**, a SHA-256 of the text's words (lower case, punctuation
  and spacing ignored, a leading copy of the headline dropped). Equal fingerprints mean the same text: the second copy
  never becomes a second article. Texts shorter than ``MIN_FINGERPRINT_WORDS``
  get none, so two different items that share a stock one-line summary stay two.
- a **MinHash** of the text's word 3-shingles (``NUM_PERM`` values), stored with
  the article, and split into ``BANDS`` band hashes (locality-sensitive hashing)
  kept in the indexed ``article_band`` table. Articles sharing a band value are
  the only candidates ever compared; their Jaccard similarity is estimated from
  the signatures, and at ``STORY_THRESHOLD`` or above the new article joins the
  candidate's story. With 20 bands of 3 rows, a pair at Jaccard 0.5 becomes a
  candidate with probability 0.93, at 0.7 with 0.9998; at 0.1 with 0.02.

Pure Python and deterministic (fixed seeds, blake2b), so signatures written by
one machine match those of another.
"""

from __future__ import annotations

import hashlib
import random
import re
import struct
from collections.abc import Sequence

MIN_FINGERPRINT_WORDS = 25
MIN_SHINGLE_WORDS = 20
SHINGLE_WORDS = 3
BANDS = 20
ROWS = 3
NUM_PERM = BANDS * ROWS
STORY_THRESHOLD = 0.5

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_MASK64 = (1 << 64) - 1
_rng = random.Random(0x72677763)
_PERMUTATIONS = [(_rng.getrandbits(64) | 1, _rng.getrandbits(64)) for _ in range(NUM_PERM)]
_SIGNATURE = struct.Struct(f"<{NUM_PERM}I")


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def body_words(text: str, title: str | None = None) -> list[str]:
    """The words of ``text``, without the headline when the text starts with it (pages repeat it)."""
    tokens = words(text)
    if title:
        heading = words(title)
        if heading and tokens[: len(heading)] == heading:
            return tokens[len(heading) :]
    return tokens


def fingerprint(text: str, title: str | None = None) -> str | None:
    """The exact-content key of ``text``, or None when it is too short to identify an article."""
    tokens = body_words(text, title)
    if len(tokens) < MIN_FINGERPRINT_WORDS:
        return None
    return hashlib.sha256(" ".join(tokens).encode("utf-8")).hexdigest()


def minhash(text: str, title: str | None = None) -> bytes | None:
    """The MinHash signature of ``text``'s word shingles (packed), or None for a short text."""
    tokens = body_words(text, title)
    if len(tokens) < MIN_SHINGLE_WORDS:
        return None
    shingles = {" ".join(tokens[i : i + SHINGLE_WORDS]) for i in range(len(tokens) - SHINGLE_WORDS + 1)}
    hashes = [int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=4).digest(), "little")
              for s in shingles]
    # Multiply-shift hashing: the high 32 bits of (a*x + b) mod 2^64 are a good permutation of x.
    values = [min(((a * x + b) & _MASK64) >> 32 for x in hashes) for a, b in _PERMUTATIONS]
    return _SIGNATURE.pack(*values)


def unpack(signature: bytes) -> Sequence[int]:
    return _SIGNATURE.unpack(signature)


def bands(signature: bytes) -> list[int]:
    """One 63-bit value per band (fits a signed BIGINT on both backends)."""
    values = unpack(signature)
    result = []
    for band in range(BANDS):
        chunk = struct.pack(f"<{ROWS}I", *values[band * ROWS : (band + 1) * ROWS])
        digest = hashlib.blake2b(chunk, digest_size=8, person=band.to_bytes(2, "little")).digest()
        result.append(int.from_bytes(digest, "little") >> 1)
    return result


def similarity(first: bytes, second: bytes) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two signatures."""
    a, b = unpack(first), unpack(second)
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / NUM_PERM
