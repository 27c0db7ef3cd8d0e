"""The knowledge commands: index with progress and skipped files, search (one or a batch), feedback, eval."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.cli import app
from knowledge.index import KnowledgeIndex
from tests.knowledge.helpers import DATA

runner = CliRunner()


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def index_dir(shared_index: KnowledgeIndex, shared_root: Path) -> str:
    return str(shared_root / "index")


def test_batch_search_prints_one_json_line_per_query(index_dir: str, tmp_path: Path) -> None:
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        '{"id": "vpn", "query": "the vpn keeps disconnecting"}\n'
        "\n"
        "what does E-4711 mean\n"
        '{"id": "huge", "query": "' + "x" * 10_000 + '"}\n'
        '{"id": "dots", "query": "?!..."}\n',
        encoding="utf-8",
    )
    code, out, err = run("search", "--queries", str(queries), "--json", "-k", "2", "--index-dir", index_dir)
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["query_id"] for line in lines] == ["vpn", "3", "huge", "dots"]
    assert lines[0]["query"] == "the vpn keeps disconnecting" and lines[0]["hits"][0]["id"] == "KB-101"
    assert {"id", "title", "kind", "score", "snippet", "source"} <= set(lines[0]["hits"][0])
    assert 1 <= len(lines[0]["hits"]) <= 2
    assert lines[1]["hits"][0]["id"] == "sync-error.txt"
    assert lines[2]["hits"] == [] and "the limit is 4,000" in lines[2]["error"]
    assert lines[3]["hits"] == [] and "error" not in lines[3]


def test_batch_search_reads_plain_lines_from_stdin_with_filters(index_dir: str) -> None:
    code, out, err = run(
        "search", "--queries", "-", "--json", "--kind", "document", "--product", "billing", "--index-dir", index_dir,
        stdin="export invoices\nreset my vpn\n",
    )  # fmt: skip
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["query_id"] for line in lines] == ["1", "2"]
    assert {hit["id"] for line in lines for hit in line["hits"]} <= {"billing/invoice-export.html"}
    assert lines[0]["hits"][0]["id"] == "billing/invoice-export.html"


def test_single_search_with_filters_and_clear_errors(index_dir: str) -> None:
    code, out, _ = run("search", "how to escalate", "--category", "knowledge", "--kind", "document", "--json", "--index-dir", index_dir)  # fmt: skip
    assert code == 0
    assert [hit["id"] for hit in json.loads(out)["hits"]] == ["escalation.md"]
    code, _, err = run("search", "x", "--kind", "memo", "--index-dir", index_dir)
    assert code == 2 and "--kind memo: not one of practice, article, solution, case, document" in err
    code, _, err = run("search", "--index-dir", index_dir)
    assert code == 2 and "give either a QUERY or --queries FILE" in err
    code, _, err = run("search", "x" * 10_000, "--index-dir", index_dir)
    assert code == 2 and "the limit is 4,000" in err and "Traceback" not in err


def test_feedback_raises_the_reuse_count_shown_by_search(index_dir: str) -> None:
    code, out, _ = run("feedback", "passwort.md", "solved", "--index-dir", index_dir)
    assert code == 0 and "passwort.md: reused 1 time(s)" in out
    code, out, _ = run("search", "Passwort vergessen", "-k", "1", "--json", "--index-dir", index_dir)
    assert json.loads(out)["hits"][0] == {**json.loads(out)["hits"][0], "id": "passwort.md", "reuse_count": 1}
    code, _, err = run("feedback", "no-such-doc", "helpful", "--index-dir", index_dir)
    assert code == 2 and "no document 'no-such-doc'" in err
    code, _, err = run("feedback", "passwort.md", "liked", "--index-dir", index_dir)
    assert code == 2 and "'liked' is not one of: helpful, solved" in err


def test_index_skips_bad_files_and_names_them(index_dir: str, tmp_path: Path) -> None:
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "good.md").write_text(
        "# Rotate the API key\n\nCreate a new key, then revoke the old one.", encoding="utf-8"
    )
    (folder / "bad.md").write_bytes(b"\xff\xfe\x00")
    (folder / "big.txt").write_text("word " * 1000, encoding="utf-8")
    code, out, err = run("index", str(folder), "--index-dir", index_dir, "--max-file-mb", "0.001")
    assert code == 0, err
    assert "1 added" in out and "2 file(s) skipped" in out
    assert "bad.md: is not UTF-8 text" in err and "big.txt: is 0.0 MB; the limit is 0.0 MB" in err
    code, out, _ = run("search", "rotate api key", "-k", "1", "--json", "--index-dir", index_dir)
    assert json.loads(out)["hits"][0]["id"] == "good.md"
    code, _, err = run("index", str(folder / "good.md"), "--index-dir", index_dir)
    assert code == 2 and "is not a folder" in err


def test_eval_retrieval_prints_the_three_retrievers(index_dir: str) -> None:
    queries, qrels = DATA / "practices-queries.jsonl", DATA / "practices-qrels.txt"
    args = ["eval", "retrieval", "--queries", str(queries), "--qrels", str(qrels), "--index-dir", index_dir]
    code, out, err = run(*args, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["queries"] == 30
    assert set(result["scores"]) == {"keyword", "dense", "hybrid", "hybrid-rrf"}
    for scores in result["scores"].values():
        assert set(scores) == {"recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10"}
        assert all(0.0 <= value <= 1.0 for value in scores.values())
    assert result["scores"]["hybrid"]["mrr@10"] >= 0.8
    # the goal of the fusion (benchmarks/README.md): hybrid at least as good as the better single retriever
    for metric in ("mrr@10", "ndcg@10"):
        best = max(result["scores"]["dense"][metric], result["scores"]["keyword"][metric])
        assert result["scores"]["hybrid"][metric] >= best, metric
    code, out, _ = run(*args)
    assert code == 0 and "retrieval over 30 judged queries" in out and "ndcg@10" in out and "hybrid" in out
    code, _, err = run(
        "eval", "retrieval", "--queries", str(qrels), "--qrels", str(qrels), "--index-dir", index_dir
    )
    assert code == 2 and "has a judgement" in err
