"""The fine-tuned text classifier at analysis time: P(type reported) per event type and P(relevant).

A small transformer (all-MiniLM-L6-v2 fine-tuned on the gold tune split by ``train_text.py``) reads the first
``MAX_TOKENS`` word pieces of the title and text and gives one probability per label. It runs through
onnxruntime on one thread per process (8-bit weights, about 5 ms per brief on one core of the reference
machine), so ``regwatch analyze --processes N`` scales with cores. The ranker (``ranker.py``) blends these
probabilities with its own, which come from the cue patterns and a bag-of-words model.

When the model files are absent the analysis runs without it (the blend is skipped) and says so once in the
log.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data"
ENCODER_PATH = DATA / "text_encoder.onnx"
TOKENIZER_PATH = DATA / "text_tokenizer.json"
ENCODER_META = DATA / "text_encoder.json"
OOF_PATH = DATA / "text_encoder_oof.json"  # out-of-fold probabilities of the tune items (training only)
MAX_TOKENS = 128

logger = logging.getLogger(__name__)


class TextEncoder:
    """One onnxruntime session and tokenizer; ``probabilities(text)`` -> {label: probability}."""

    def __init__(self, model: Path = ENCODER_PATH, tokenizer: Path = TOKENIZER_PATH, meta: Path = ENCODER_META):
        import onnxruntime
        from tokenizers import Tokenizer

        self.meta: dict = json.loads(meta.read_text(encoding="utf-8"))
        self.labels: tuple[str, ...] = tuple(self.meta["labels"])
        self.tokenizer = Tokenizer.from_file(str(tokenizer))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # one core per process: processes, not threads, give the parallelism
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])

    def probabilities(self, text: str) -> dict[str, float]:
        return self.batch([text])[0]

    def batch(self, texts: list[str]) -> list[dict[str, float]]:
        """Several texts in one run. The 8-bit activations are scaled per run, so a text's probabilities move
        by up to about 0.05 with its neighbours: the analyzer reads one text at a time, so that a story's
        result never depends on what it was analysed with."""
        if not texts:
            return []
        encodings = self.tokenizer.encode_batch([t or " " for t in texts])
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        probs = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return [dict(zip(self.labels, map(float, row), strict=True)) for row in probs]


@lru_cache(maxsize=1)
def load_encoder() -> TextEncoder | None:
    """The shipped classifier, or None (logged once) when its files or onnxruntime are missing."""
    missing = [p.name for p in (ENCODER_PATH, TOKENIZER_PATH, ENCODER_META) if not p.exists()]
    if missing:
        logger.warning("text classifier not found (%s): events are judged without it", ", ".join(missing))
        return None
    try:
        loaded = TextEncoder()
    except ImportError as exc:
        logger.warning("text classifier not loaded (%s): events are judged without it", exc)
        return None
    logger.info("text classifier: %s (%s fine-tuned on %s tune items)", ENCODER_PATH.name,
                loaded.meta.get("base", "?"), loaded.meta.get("tune_items", "?"))
    return loaded
