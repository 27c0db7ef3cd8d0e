"""Synthetic case notes at any size, written the way agents vary the demo's resolution notes, with vectors.

A benchmark of search at 10,000 or 100,000 passages needs that many realistic passages and their vectors.
The notes come from the demo's templates (`metrics.demo.resolutions.PROBLEMS`), each with a lead-in, a
closing line, an account number and a team, and a share logged again verbatim (copies, as help desks do).
The real model embeds every distinct template variant (lead-in, note, closing); a note's vector is its
variant's plus small seeded noise, re-normalised, since an account number moves MiniLM's vector only a little.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from knowledge.documents import case_document
from knowledge.embeddings import Embedder
from knowledge.models import Document
from metrics.demo.catalog import PRODUCTS, TEAMS
from metrics.demo.resolutions import PROBLEMS

LEADS = (
    "",
    "",
    "Customer called in.",
    "Agent note:",
    "Follow-up from last week's ticket.",
    "Escalated by L1.",
)
CLOSINGS = ("", "Customer confirmed it works.", "Closed with the customer's agreement.", "No further action.")
#: Share of notes that repeat an earlier note word for word (a templated closure): copies in the index.
COPY_SHARE = 0.2
NOISE = 0.025


@dataclass(frozen=True)
class Corpus:
    documents: list[Document]
    #: The variant (lead-in, note, closing) each document was written from, by document id.
    variant: dict[str, str]
    #: The template note each document was written from, by document id.
    note: dict[str, str]


def _template(document: Document, corpus: Corpus) -> str:
    return f"# {document.title}\n\n{corpus.note[document.id]}"


def synthetic_cases(count: int, seed: int = 42) -> Corpus:
    rng = random.Random(seed)
    templates = [
        (PRODUCTS[number], subject, note)
        for number, problems in enumerate(PROBLEMS)
        for subject, notes in problems
        for note in notes
    ]
    documents: list[Document] = []
    variant: dict[str, str] = {}
    note_of: dict[str, str] = {}
    for number in range(count):
        if documents and rng.random() < COPY_SHARE:
            original = rng.choice(documents)
            product, subject, body = str(original.metadata["product"]), original.title, variant[original.id]
            resolution, note = original.text.split("\n\n", 1)[1], note_of[original.id]
        else:
            product, subject, note = rng.choice(templates)
            body = " ".join(part for part in (rng.choice(LEADS), note, rng.choice(CLOSINGS)) if part)
            resolution = f"{body} Account A-{rng.randint(1000, 99999)}."
        ticket = f"T-{number:06d}"
        document = case_document(
            {
                "id": ticket,
                "subject": subject,
                "product": product,
                "team": rng.choice(TEAMS),
                "resolution": resolution,
                "resolved_at": "2026-11-30",
            }
        )
        assert document is not None
        documents.append(document)
        variant[document.id] = body
        note_of[document.id] = note
    return Corpus(documents, variant, note_of)


class CorpusEmbedder:
    """Vectors of the corpus's documents (its template's real vector plus noise); the model for anything
    else (queries). Texts repeated verbatim get the same vector, as the model would give them."""

    def __init__(self, model: Embedder, corpus: Corpus, seed: int = 42) -> None:
        self.model = model
        self.name = model.name
        templates = sorted({_template(document, corpus) for document in corpus.documents})
        real = np.asarray(model.embed(templates), dtype=np.float32)
        position = {template: row for row, template in enumerate(templates)}
        rng = np.random.default_rng(seed)
        self.vectors: dict[str, list[float]] = {}
        for document in corpus.documents:
            if document.text in self.vectors:
                continue
            vector = real[position[_template(document, corpus)]] + rng.normal(0, NOISE, real.shape[1])
            self.vectors[document.text] = (vector / np.linalg.norm(vector)).astype(float).tolist()
        self.templates = len(templates)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        missing = [text for text in texts if text not in self.vectors]
        computed = dict(zip(missing, self.model.embed(missing), strict=True)) if missing else {}
        return [self.vectors.get(text) or computed[text] for text in texts]
