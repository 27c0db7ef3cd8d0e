"""The StackFAQ evaluation set (Karan and Šnajder, 2018; Stack Exchange content, CC BY-SA 3.0).

125 how-to threads of the Web Applications Stack Exchange, each a question with its answers and about ten
human paraphrases of the question (`<rephr>`; those that are just `*` are placeholders). A thread is one
document; each paraphrase is a query whose one relevant document is its own thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import defusedxml.ElementTree as SafeElementTree

from knowledge.errors import InvalidEvaluationSet
from knowledge.models import Document
from knowledge.query_files import QueryLine

ATTRIBUTION = "StackFAQ (Karan and Šnajder, 2018), Web Applications Stack Exchange content, CC BY-SA 3.0"


@dataclass(frozen=True)
class EvaluationSet:
    documents: list[Document]
    queries: list[QueryLine]
    qrels: dict[str, dict[str, int]]


def _text(value: str | None) -> str:
    return " ".join((value or "").split())


def load_stackfaq(path: Path, *, threads: int | None = None) -> EvaluationSet:
    """Documents, queries and judgements of the StackFAQ XML file (the first `threads` threads if given)."""
    try:
        root = SafeElementTree.parse(path).getroot()
    except (OSError, SafeElementTree.ParseError) as error:
        raise InvalidEvaluationSet(f"{path}: cannot read the StackFAQ XML ({error})") from None
    documents: list[Document] = []
    queries: list[QueryLine] = []
    qrels: dict[str, dict[str, int]] = {}
    for number, pair in enumerate(root.iter("qapair"), start=1):
        if threads is not None and number > threads:
            break
        question = _text(pair.findtext("question"))
        answers = [_text(answer.text) for answer in pair.findall("answer") if _text(answer.text)]
        if not question or not answers:
            continue
        document_id = f"stackfaq-{number:03d}"
        sections = [f"## Answer {index}\n\n{answer}" for index, answer in enumerate(answers, start=1)]
        documents.append(
            Document(
                id=document_id,
                title=question,
                kind="document",
                text=f"# {question}\n\n" + "\n\n".join(sections),
                source=f"stackfaq:{number}",
                metadata={"product": "stackexchange-webapps"},
            )
        )
        paraphrases = [_text(rephr.text) for rephr in pair.findall("rephr")]
        for index, paraphrase in enumerate(
            paraphrase for paraphrase in paraphrases if paraphrase.strip("* ")
        ):
            query_id = f"{document_id}-q{index + 1:02d}"
            queries.append(QueryLine(query_id, paraphrase))
            qrels[query_id] = {document_id: 1}
    return EvaluationSet(documents, queries, qrels)
