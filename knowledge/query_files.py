"""Reading query files (JSON lines `{"id", "query"}` or plain lines) and relevance judgements (qrels)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from knowledge.errors import InvalidEvaluationSet


@dataclass(frozen=True)
class QueryLine:
    id: str
    query: str


def parse_queries(lines: Iterable[str], name: str) -> list[QueryLine]:
    """Queries, one a line: a JSON object with `id` and `query`, or plain text (its id: its line number).

    Blank lines are skipped; a line that starts with `{` but is not a JSON object with a `query` is an
    error naming the file and line, and so is an id used twice."""
    queries: list[QueryLine] = []
    seen: set[str] = set()
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                data = json.loads(line)
            except json.JSONDecodeError as error:
                raise InvalidEvaluationSet(f"{name} line {number}: not valid JSON ({error.msg})") from None
            if not isinstance(data, dict) or not isinstance(data.get("query"), str):
                raise InvalidEvaluationSet(f'{name} line {number}: expected {{"id": ..., "query": "..."}}')
            query_id = str(data.get("id", number))
            text = data["query"]
        else:
            query_id, text = str(number), line
        if query_id in seen:
            raise InvalidEvaluationSet(f"{name} line {number}: the query id {query_id!r} is used twice")
        seen.add(query_id)
        queries.append(QueryLine(query_id, text))
    return queries


def read_queries(path: Path) -> list[QueryLine]:
    return parse_queries(_lines(path), str(path))


def parse_qrels(lines: Iterable[str], name: str) -> dict[str, dict[str, int]]:
    """Relevance judgements: TREC lines `query_id 0 doc_id grade`, three columns `query_id doc_id grade`
    (a header line is skipped), or JSON lines `{"query_id", "doc_id", "relevance"}` (relevance 1 if absent)."""
    qrels: dict[str, dict[str, int]] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("{"):
            try:
                data = json.loads(line)
                query_id, doc_id = str(data["query_id"]), str(data["doc_id"])
                grade = int(data.get("relevance", 1))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                raise InvalidEvaluationSet(
                    f'{name} line {number}: expected {{"query_id", "doc_id", "relevance"}}'
                ) from None
        else:
            fields = line.split()
            if len(fields) not in (3, 4):
                raise InvalidEvaluationSet(
                    f"{name} line {number}: expected 'query_id 0 doc_id grade' or 'query_id doc_id grade'"
                )
            query_id, doc_id, text = fields[0], fields[-2], fields[-1]
            try:
                grade = int(text)
            except ValueError:
                if number == 1 and len(fields) == 3:
                    continue  # a header such as "query-id corpus-id score"
                raise InvalidEvaluationSet(
                    f"{name} line {number}: grade {text!r} is not a whole number"
                ) from None
        qrels.setdefault(query_id, {})[doc_id] = grade
    return qrels


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    return parse_qrels(_lines(path), str(path))


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise InvalidEvaluationSet(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InvalidEvaluationSet(f"{path}: is not UTF-8 text") from None
