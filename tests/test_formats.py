"""Saved web pages (trafilatura) and PDFs (pypdf): main text, headline, publisher, date, pages;
quotes verbatim at their offsets. PDFs are written here with pypdf itself."""

from __future__ import annotations

import html
import io
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from rag.chunking import chunk_report
from rag.citations import resolve
from rag.clean import clean
from rag.dates import report_date
from rag.errors import IngestError
from rag.formats import PAGE_BREAK, html_document, page_at, pdf_document, read_document
from rag.ingest import ingest
from rag.store import ReportStore
from rag.text import read_text
from rag.types import Evidence
from rag.ui import index_uploads, safe_upload_name
from tests.conftest import make_settings

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PAGES = ("news_page.html", "meta_date_page.html", "undated_page.html")


def make_pdf(pages: list[list[str]], meta: dict[str, str] | None = None,
             user_password: str | None = None, owner_password: str | None = None) -> bytes:
    """A PDF with one text line per string (Helvetica), page by page; optionally encrypted."""
    writer = PdfWriter()
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
        NameObject("/Encoding"): NameObject("/WinAnsiEncoding")}))
    for lines in pages:
        page = writer.add_blank_page(612, 792)
        ops = ["BT", "/F1 11 Tf", "14 TL", "72 720 Td"]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*")
        ops.append("ET")
        if not lines:  # a scan: drawing, no text
            ops = ["0 0 m 300 300 l S"]
        stream = DecodedStreamObject()
        stream.set_data("\n".join(ops).encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
    if meta:
        writer.add_metadata(meta)
    if user_password is not None or owner_password:
        writer.encrypt(user_password=user_password or "", owner_password=owner_password,
                       algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


REPORT_PDF = [
    ["Seoul says 3,000 North Korean troops moved to Russia",
     "South Korea's spy agency said on Wednesday that 3,000 soldiers had been moved.",
     "The agency told lawmakers the soldiers were issued Russian uniforms."],
    ["Austin said on Oct. 19 that the Pentagon could not yet confirm the reports.",
     "On Wednesday he said there was evidence of North Korean soldiers in Russia."],
    ["Analysts said the deployment could bring Pyongyang Russian military technology."],
]
REPORT_META = {"/Title": "Seoul: troops moved", "/Author": "Mina Park",
               "/CreationDate": "D:20241023081500+09'00'"}


# -- HTML -----------------------------------------------------------------------------------
def test_a_news_page_keeps_the_story_and_drops_menus_sidebars_footers_and_comments():
    doc = read_document(FIXTURES / "news_page.html")
    for furniture in ("cookies", "Accept all", "Politics", "Subscribe", "Related stories",
                      "Kremlin deflects", "Most read", "rainy autumn", "newsletter",
                      "All rights reserved", "Privacy policy", "Comments", "kimchi_fan88",
                      "Fake news", "shared it with my whole family"):
        assert furniture not in doc.text, furniture
    assert doc.text.startswith("Seoul says North Korean troops reached Kursk\n")
    assert "could not yet confirm the reports" in doc.text
    assert "Analysts said the deployment" in doc.text  # the paragraph after the related box
    assert (doc.title, doc.author, doc.publisher) == (
        "Seoul says North Korean troops reached Kursk", "Mina Park", "The Harbour Times")
    assert (doc.date, doc.date_how) == ("2024-10-23", "html meta")


def test_a_page_dated_only_in_meta_and_an_undated_page():
    meta = read_document(FIXTURES / "meta_date_page.html")
    assert "2024" not in meta.text and "Log in" not in meta.text and "Registered" not in meta.text
    found = report_date(meta.text, meta.date, meta.date_how)
    assert (found.date, found.how) == ("2024-10-28", "html meta")
    assert (meta.title, meta.publisher) == ("NATO hears Seoul's briefing on Korean troops",
                                            "Northern Ledger")
    undated = read_document(FIXTURES / "undated_page.html")
    # trafilatura's own date search reads "© 2024" as 2024-01-01; a guess is not a date
    assert undated.date is None and report_date(undated.text, undated.date) is None
    assert undated.title == "Analysis: what Pyongyang gains from the war"
    assert undated.publisher is None
    assert "More analysis" not in undated.text and "Sunday, February 25" not in undated.text


def test_a_short_page_keeps_its_visible_text():
    doc = html_document("<html><body><nav>Home</nav><h1>Troops</h1><p>Seoul said <b>3,000</b>"
                        " troops moved.</p><footer>(c) site</footer></body></html>")
    assert doc.text == "Troops\nSeoul said 3,000 troops moved.\n"


@pytest.fixture(scope="module")
def page_store(tmp_path_factory, embeddings):
    folder = tmp_path_factory.mktemp("pages")
    for name in PAGES:
        shutil.copy(FIXTURES / name, folder)
    (folder / "report.pdf").write_bytes(make_pdf(REPORT_PDF, REPORT_META))
    store = ReportStore.open(make_settings(tmp_path_factory.mktemp("pages-data")), embeddings)
    summary = ingest(store, [folder])
    assert len(summary.added) == 4, summary.lines()
    return store


def test_titles_publishers_and_dates_reach_the_index(page_store):
    got = {s.source: (s.title, s.publisher, s.date, s.date_source) for s in page_store.sources()}
    assert got == {
        "news_page.html": ("Seoul says North Korean troops reached Kursk", "The Harbour Times",
                           "2024-10-23", "html meta"),
        "meta_date_page.html": ("NATO hears Seoul's briefing on Korean troops",
                                "Northern Ledger", "2024-10-28", "html meta"),
        "undated_page.html": ("Analysis: what Pyongyang gains from the war", None, None, None),
        "report.pdf": ("Seoul: troops moved", None, "2024-10-23", "pdf metadata"),
    }


def test_every_indexed_chunk_is_verbatim_in_the_reports_text(page_store):
    ids, texts, metas = page_store.all_rows()
    assert ids
    for text, meta in zip(texts, metas, strict=True):
        original = page_store.original_text(meta["source"])
        assert original[meta["start"]:meta["end"]] == text


# -- PDF ------------------------------------------------------------------------------------
def test_a_pdf_gives_its_text_pages_and_metadata():
    doc = pdf_document(make_pdf(REPORT_PDF, REPORT_META), "r.pdf")
    assert doc.text.split("\n\f\n") == ["\n".join(p) for p in REPORT_PDF[:2]] + \
        ["\n".join(REPORT_PDF[2]) + "\n"]
    assert (doc.title, doc.author, doc.date, doc.date_how) == (
        "Seoul: troops moved", "Mina Park", "2024-10-23", "pdf metadata")
    at = doc.text.index("Austin said")
    assert page_at("r.pdf", doc.text, at) == 2 and page_at("r.pdf", doc.text, 0) == 1
    assert page_at("r.pdf", doc.text, doc.text.index("Analysts")) == 3
    placeholder = pdf_document(make_pdf([["Text."]], {"/Title": "Microsoft Word - a.docx"}))
    assert placeholder.title is None and placeholder.date is None


def test_a_pdf_citation_shows_its_page(tmp_path):
    path = tmp_path / "r.pdf"
    path.write_bytes(make_pdf(REPORT_PDF))
    text = read_text(path)
    quote = REPORT_PDF[1][0]
    ev = Evidence(1, "r.pdf", "R", None, quote, text.index(quote),
                  text.index(quote) + len(quote), 1.0)
    _answer, cites = resolve("Austin could not yet confirm it [1].", [ev], lambda s: text)
    assert cites[0].page == 2 and cites[0].quote == quote


def test_scanned_encrypted_and_corrupt_pdfs_are_skipped_with_their_reason(tmp_path,
                                                                         embeddings):
    folder = tmp_path / "pdfs"
    folder.mkdir()
    good = make_pdf(REPORT_PDF)
    (folder / "good.pdf").write_bytes(good)
    (folder / "scan.pdf").write_bytes(make_pdf([[], []]))
    (folder / "locked.pdf").write_bytes(make_pdf(REPORT_PDF, user_password="secret"))
    (folder / "owner_only.pdf").write_bytes(make_pdf(REPORT_PDF[:1], owner_password="owner"))
    (folder / "cut.pdf").write_bytes(good[: len(good) // 2])
    (folder / "junk.pdf").write_bytes(b"%PDF-1.7\nthis is not a PDF at all\n")
    store = ReportStore.open(make_settings(tmp_path / "data"), embeddings)
    summary = ingest(store, [folder])
    reasons = {Path(p).name: r for p, r in summary.skipped}
    assert sorted(summary.added) == ["good.pdf", "owner_only.pdf"]  # no user password: readable
    assert "no text layer" in reasons["scan.pdf"] and "OCR" in reasons["scan.pdf"]
    assert "encrypted" in reasons["locked.pdf"]
    assert "not a readable PDF" in reasons["cut.pdf"]
    assert "not a readable PDF" in reasons["junk.pdf"]
    with pytest.raises(IngestError, match="encrypted"):
        pdf_document(make_pdf(REPORT_PDF, user_password="secret"), "locked.pdf")


def test_uploads_accept_pdf_with_the_same_caps(tmp_path, embeddings):
    assert safe_upload_name("../Report (final).PDF") == "Report_final.pdf"
    settings = make_settings(tmp_path)
    store = ReportStore.open(settings, embeddings)
    summary = index_uploads(store, settings, [("report.pdf", make_pdf(REPORT_PDF)),
                                              ("scan.pdf", make_pdf([[]]))])
    assert summary.added == ["report.pdf"]
    assert [Path(p).name for p, _ in summary.skipped] == ["scan.pdf"]
    assert not (settings.uploads_dir / "scan.pdf").exists()  # a refused upload is not kept


# -- quotes are verbatim at their offsets, whatever the text ----------------------------------
_WORD = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N")), min_size=1,
                max_size=9)
_PUNCT = st.sampled_from(["", ",", ";", " -", " &", " <b>", "'s", " (U.S.)", " “quoted”"])
_SENTENCE = st.builds(
    lambda words, punct, end: " ".join(w + p for w, p in zip(words, punct, strict=False)) + end,
    st.lists(_WORD, min_size=4, max_size=14), st.lists(_PUNCT, min_size=14, max_size=14),
    st.sampled_from([".", "?", "!"]))
_PARAGRAPH = st.lists(_SENTENCE, min_size=1, max_size=4).map(" ".join)


def _assert_verbatim(source: str, original: str) -> None:
    report = clean(source, original)
    for s in report.sentences:
        assert original[s.start:s.end] == s.text
    for c in chunk_report(report):
        assert original[c.start:c.end] == c.text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PARAGRAPH, min_size=2, max_size=8))
def test_html_quotes_are_verbatim_at_their_offsets(paragraphs):
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    page = (f"<html><head><title>T</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<article><h1>Headline</h1>{body}</article><footer>© site</footer></body></html>")
    doc = html_document(page)
    assert html_document(page) == doc  # deterministic: the original can be re-derived
    _assert_verbatim("p.html", doc.text)


_LINE = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1,
                max_size=70).filter(str.strip)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_LINE, min_size=1, max_size=6), min_size=1, max_size=4))
def test_pdf_quotes_are_verbatim_and_know_their_page(pages):
    doc = pdf_document(make_pdf(pages), "p.pdf")
    _assert_verbatim("p.pdf", doc.text)
    segments = doc.text.split(PAGE_BREAK)
    assert len(segments) == len(pages)
    offset = 0
    for number, (lines, segment) in enumerate(zip(pages, segments, strict=True), start=1):
        assert page_at("p.pdf", doc.text, offset) == number
        assert page_at("p.pdf", doc.text, offset + len(segment) - 1) == number
        squeezed = "".join(segment.split())
        for line in lines:  # every character of the page's text is on that page
            assert "".join(line.split()) in squeezed
        offset += len(segment) + len(PAGE_BREAK)
