"""The near-duplicate threshold (knowledge.dedupe.DUPLICATE_SIMILARITY), measured on the demo's case notes.

    .venv/bin/python benchmarks/dedupe.py [--variants 8] [--seed 7] [--out FILE]

The demo generator writes resolution notes from 26 templates under 15 subjects (metrics.demo.resolutions):
the template is each note's resolution id. Real agents do not paste a template verbatim, so every template is
written `--variants` times the way agents vary a note (seeded): verbatim, with a lead-in ("Customer called
in."), a closing line ("Closing the ticket."), the last sentence left out, abbreviations ("cust", "w/"),
lower case without punctuation, or a typo; one to three of these at once. Each text is indexed as the case
documents are (`# subject` + notes) and embedded with the packaged MiniLM. Every pair of texts is labelled a
duplicate when both come from the same template. Hard negatives are built in: notes under one subject share
their title line but describe different fixes.

The threshold is the cosine with the best F1 over 0.60, 0.61, ..., 0.99, chosen on the pairs of the
templates of the even-numbered subjects and reported on those of the odd ones (and the other way round; by
subject, so notes under one subject, the hardest negatives, stay on one side); a pair also counts as a
duplicate when its texts have the same BM25 tokens (the copy test, knowledge.dedupe.text_key). Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from knowledge.dedupe import DUPLICATE_SIMILARITY, text_key  # noqa: E402
from knowledge.embeddings import SentenceTransformerEmbedder, packaged_model_path  # noqa: E402
from metrics.demo.resolutions import PROBLEMS  # noqa: E402

THRESHOLDS = [round(0.60 + 0.01 * step, 2) for step in range(40)]
LEAD_INS = (
    "Customer called in. ",
    "Per phone call: ",
    "Checked with the customer. ",
    "Follow-up from chat: ",
)
CLOSINGS = (
    " Closing the ticket.",
    " Customer confirmed, closing.",
    " Sent the KB link as well.",
    " Resolved.",
)
ABBREVIATIONS = {"customer": "cust", "with": "w/", "and": "&", "minutes": "mins", "settings": "settings"}


def templates() -> list[tuple[str, str]]:
    """(subject, note) of every template, in the generator's order (the index is the resolution id)."""
    return [(subject, note) for problems in PROBLEMS for subject, notes in problems for note in notes]


def rewrite(note: str, rng: np.random.Generator) -> str:
    """The note as one agent might have written it: one to three of the usual variations."""
    text = note
    for change in rng.choice(6, size=int(rng.integers(1, 4)), replace=False):
        if change == 0:
            text = LEAD_INS[int(rng.integers(len(LEAD_INS)))] + text
        elif change == 1:
            text = text + CLOSINGS[int(rng.integers(len(CLOSINGS)))]
        elif change == 2:
            sentences = re.split(r"(?<=[.;])\s+", text)
            text = " ".join(sentences[:-1]) if len(sentences) > 1 else text
        elif change == 3:
            text = " ".join(ABBREVIATIONS.get(word.lower(), word) for word in text.split())
        elif change == 4:
            text = re.sub(r"[.,;:'>]", "", text.lower())
        else:
            words = text.split()
            long = [number for number, word in enumerate(words) if len(word) > 5]
            if long:
                number = long[int(rng.integers(len(long)))]
                word = words[number]
                cut = int(rng.integers(1, len(word) - 2))
                words[number] = word[:cut] + word[cut + 1] + word[cut] + word[cut + 2 :]
                text = " ".join(words)
    return text


def scores(predicted: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    true_positive = int((predicted & truth).sum())
    precision = true_positive / max(int(predicted.sum()), 1)
    recall = true_positive / max(int(truth.sum()), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--variants", type=int, default=8, help="texts per template (the first verbatim)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    texts: list[str] = []
    labels: list[int] = []
    subjects = list(dict.fromkeys(subject for subject, _ in templates()))
    fold_of = [subjects.index(subject) % 2 for subject, _ in templates()]
    for label, (subject, note) in enumerate(templates()):
        for variant in range(args.variants):
            written = note if variant == 0 else rewrite(note, rng)
            texts.append(f"# {subject}\n\n{written}")
            labels.append(label)
    embedder = SentenceTransformerEmbedder(packaged_model_path())
    vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
    cosine = vectors @ vectors.T
    keys = [text_key(text) for text in texts]
    first, second = np.triu_indices(len(texts), k=1)
    resolution = np.asarray(labels)
    truth = resolution[first] == resolution[second]
    same_words = np.asarray([keys[a] == keys[b] for a, b in zip(first, second, strict=True)])
    similarity = cosine[first, second]
    folds = np.asarray(fold_of)
    fold = folds[resolution[first]]
    # pairs within one fold only; folds split by subject, so the hard negatives (notes under one subject)
    # are on one side
    in_fold = fold == folds[resolution[second]]

    def measure(threshold: float, where: np.ndarray) -> dict[str, float]:
        return scores(((similarity >= threshold) | same_words)[where], truth[where])

    protocol: list[dict[str, Any]] = []
    for tuned in (0, 1):
        tune_on = in_fold & (fold == tuned)
        held = in_fold & (fold != tuned)
        by_threshold = {threshold: measure(threshold, tune_on) for threshold in THRESHOLDS}
        chosen = max(THRESHOLDS, key=lambda t: (by_threshold[t]["f1"], t))  # ties: the stricter threshold
        protocol.append(
            {
                "tuned_on": "even subjects" if tuned == 0 else "odd subjects",
                "chosen_threshold": chosen,
                "tuning_f1_by_threshold": {str(t): by_threshold[t]["f1"] for t in THRESHOLDS},
                "held_out": measure(chosen, held),
            }
        )
    everything = np.ones_like(truth)
    negatives = similarity[~truth]
    positives = similarity[truth]
    result = {
        "benchmark": "dedupe",
        "texts": len(texts),
        "templates": len(templates()),
        "pairs": int(truth.size),
        "duplicate_pairs": int(truth.sum()),
        "hard_negative_pairs_same_subject": int(
            sum(
                1
                for a, b in zip(first[~truth], second[~truth], strict=True)
                if texts[a].split("\n", 1)[0] == texts[b].split("\n", 1)[0]
            )
        ),
        "cosine_of_duplicates": {
            "min": round(float(positives.min()), 4),
            "p05": round(float(np.percentile(positives, 5)), 4),
            "median": round(float(np.median(positives)), 4),
        },
        "cosine_of_non_duplicates": {
            "max": round(float(negatives.max()), 4),
            "p99": round(float(np.percentile(negatives, 99)), 4),
            "median": round(float(np.median(negatives)), 4),
        },
        "copy_test_alone": scores(same_words, truth),
        "protocol": protocol,
        "in_use": {"threshold": DUPLICATE_SIMILARITY, "all_pairs": measure(DUPLICATE_SIMILARITY, everything)},
        "all_pairs_by_threshold": {str(t): measure(t, everything) for t in THRESHOLDS},
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
