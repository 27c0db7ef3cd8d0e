"""Honest when nothing fits: whether a hit is a good match for the query or only possibly related.

The index already drops passages below `knowledge.index.DEFAULT_MIN_SIMILARITY` (unrelated texts). Above it,
a hit is a *good* match when its passage's cosine similarity with the query reaches `GOOD_MATCH_SIMILARITY`.
A search whose hits are all weak has no good match: the page and the chat say so, show them as "possibly
related" and offer to capture an article. Keyword search alone has no cosine: there a hit is good when it
holds most of the query's term weight.
"""

from __future__ import annotations

from typing import Literal

#: Cosine similarity (MiniLM) of query and best passage at or above which a hit is a good match. Calibrated
#: by benchmarks/relevance.py on the medium demo's knowledge (74 practices, ~3,900 articles, ~5,000 case
#: notes) with 68 answerable and 40 unanswerable questions (tests/knowledge/data): the floor with the best F1
#: of "no good match" on the odd-numbered half was 0.40 (letting a hit that holds 60 % or 80 % of the query's
#: term weight count as good did not help there, so words alone do not make a match when a cosine exists); on
#: the held-out even-numbered half "no good match" had precision 0.95 and recall 0.90
#: (docs/search-dedupe-and-relevance.md).
GOOD_MATCH_SIMILARITY = 0.40
#: Keyword search alone (no cosine): the share of the query's term weight a passage must hold to be good.
KEYWORD_ONLY_COVERAGE = 0.6

Match = Literal["good", "weak"]


def verdict(similarity: float | None, coverage: float, *, floor: float = GOOD_MATCH_SIMILARITY) -> Match:
    """ "good" when the passage is similar enough to the query; without a similarity (keyword search
    alone), when it holds most of the query's term weight."""
    if similarity is None:
        return "good" if coverage >= KEYWORD_ONLY_COVERAGE else "weak"
    return "good" if similarity >= floor else "weak"
