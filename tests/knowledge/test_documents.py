"""Loading folders of Markdown, HTML and text: ids, titles, metadata, and bad input named clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.documents import folder_documents
from knowledge.errors import InvalidDocument
from tests.knowledge.helpers import NOTES


def test_folder_documents_use_front_matter_id_or_relative_path(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "vpn.md").write_text("# VPN drops\n\nRenew the certificate.", encoding="utf-8")
    (tmp_path / "kb.md").write_text("---\nid: KB-7\ntitle: Printer jams\n---\nOpen tray 2.", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    documents = {document.id: document for document in folder_documents(tmp_path)}
    assert set(documents) == {"KB-7", "sub/vpn.md"}
    assert documents["sub/vpn.md"].title == "VPN drops"
    assert documents["KB-7"].title == "Printer jams"


def test_notes_folder_metadata_html_and_text() -> None:
    documents = {document.id: document for document in folder_documents(NOTES)}
    assert set(documents) == {
        "KB-101",
        "billing/invoice-export.html",
        "sync-error.txt",
        "passwort.md",
        "escalation.md",
    }
    vpn = documents["KB-101"]
    assert vpn.source == "vpn-drops.md" and vpn.kind == "document"
    assert {key: vpn.metadata[key] for key in ("product", "team", "audience", "date", "categories")} == {
        "product": "vpn",
        "team": "network",
        "audience": "customer",
        "date": "2026-03-02",
        "categories": "customer",
    }
    assert vpn.metadata["category_customer"] is True
    html = documents["billing/invoice-export.html"]
    assert html.title == "Export invoices to CSV"
    assert html.metadata["product"] == "billing" and html.metadata["audience"] == "customer"
    # headings survive as Markdown; scripts, styles and navigation do not
    assert "# Export invoices to CSV" in html.text and "## Steps" in html.text and "**Billing**" in html.text
    assert "console.log" not in html.text and "sans-serif" not in html.text and "Home" not in html.text
    text = documents["sync-error.txt"]
    assert text.title == "Sync fails with error E-4711" and "E-4711 means" in text.text
    assert documents["escalation.md"].metadata["categories"] == "customer,knowledge"
    assert documents["passwort.md"].title == "Passwort zurücksetzen"


def test_binary_or_broken_files_are_named(tmp_path: Path) -> None:
    (tmp_path / "bad.md").write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(InvalidDocument, match=r"bad.md: is not UTF-8 text"):
        list(folder_documents(tmp_path))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("nul.txt", b"text\x00with a NUL byte", "nul.txt: is binary, not text"),
        ("empty.md", b"   \n", "empty.md: is empty"),
        ("only-front-matter.md", b"---\ntitle: x\n---\n", "only-front-matter.md: is empty"),
        ("empty.html", b"<html><body><script>x()</script></body></html>", "empty.html: is empty"),
        (
            "broken.md",
            b"---\ntitle: [unclosed\n---\nbody",
            "broken.md line 2: front matter is not valid YAML",
        ),
        ("kind.md", b"---\nkind: practice\n---\nbody", "kind.md: kind 'practice' is not one of"),
        ("product.md", b"---\nproduct: [a, b]\n---\nbody", "product.md: product must be a single value"),
    ],
)
def test_bad_files_are_refused_with_name_and_reason(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(InvalidDocument, match=message):
        list(folder_documents(tmp_path))


def test_huge_files_are_refused_against_a_configurable_limit(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("word " * 60_000, encoding="utf-8")
    with pytest.raises(InvalidDocument, match=r"big.txt: is 0.3 MB; the limit is 0.1 MB"):
        list(folder_documents(tmp_path, max_bytes=100_000))
    assert [document.id for document in folder_documents(tmp_path, max_bytes=1_000_000)] == ["big.txt"]


def test_bad_files_can_be_collected_and_skipped(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text("# Good\n\nUseful text.", encoding="utf-8")
    (tmp_path / "bad.md").write_bytes(b"\xff\xfe")
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    problems: list[InvalidDocument] = []
    documents = list(folder_documents(tmp_path, problems=problems))
    assert [document.id for document in documents] == ["good.md"]
    assert sorted(str(problem).split("/")[-1] for problem in problems) == [
        "bad.md: is not UTF-8 text",
        "empty.txt: is empty",
    ]


def test_other_languages_and_a_byte_order_mark_are_text(tmp_path: Path) -> None:
    (tmp_path / "ja.md").write_bytes("\ufeff# 請求書のエクスポート\n\n請求書をCSVで書き出します。".encode())
    (tmp_path / "ru.txt").write_text("Сброс пароля\n\nОткройте страницу входа.", encoding="utf-8")
    documents = {document.id: document for document in folder_documents(tmp_path)}
    assert documents["ja.md"].title == "請求書のエクスポート"
    assert documents["ru.txt"].title == "Сброс пароля"
