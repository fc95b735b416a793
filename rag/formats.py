"""Report files by format: the text a report is quoted from, and what the file says about itself.

- ``.txt``/``.md``: the decoded file.
- ``.html``: the page's main text as trafilatura finds it (menus, sidebars, related-story
  boxes, cookie banners, footers and comments dropped), with its headline, author and site
  name; the date only where the page declares it (``<meta>`` or JSON-LD ``datePublished``),
  never one found in its text by heuristics. A short page (under ``SHORT_PAGE`` characters of
  visible text), where main-content detection has nothing to go on, keeps all visible text.
- ``.pdf``: the text layer of every page (pypdf), pages separated by a form feed line
  (``"\\n\\f\\n"``), so the page of an offset is known (:func:`page_at`); the creation date.

The extracted text is the report's "original": every offset points into it, and extraction is
deterministic, so it can always be re-derived from the file.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path

from rag.dates import iso_of, parse_date
from rag.errors import IngestError
from rag.text import decode_report, html_to_text

SHORT_PAGE = 500  # characters of visible text below which a page is kept whole
PAGE_BREAK = "\n\f\n"
# <meta> names and properties that state when a page was published, best first.
_PUBLISHED = ("article:published_time", "og:article:published_time", "og:published_time",
              "datepublished", "publishdate", "publish-date", "pubdate", "publication_date",
              "dc.date.issued", "dcterms.issued", "dc.date", "dcterms.date", "date",
              "sailthru.date", "parsely-pub-date")


@dataclass(frozen=True)
class Document:
    """A file's report text and what its format states about it (None where it states nothing)."""

    text: str
    title: str | None = None
    author: str | None = None
    publisher: str | None = None
    date: str | None = None  # ISO date from the file's metadata
    date_how: str = ""  # "html meta" or "pdf metadata"
    encoding: str = ""  # what the file was decoded from: "utf-8", "cp1252", ..., or "pdf"


def read_document(path: Path) -> Document:
    """Read one report file by its suffix; unreadable files raise :class:`IngestError`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(str(path), f"cannot be read ({exc.strerror or exc})") from None
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return replace(pdf_document(data, str(path)), encoding="pdf")
    text, encoding = decode_report(data, str(path))
    if suffix in (".html", ".htm"):
        return replace(html_document(text, str(path)), encoding=encoding)
    return Document(text, encoding=encoding)


class _MetaDates(HTMLParser):
    """Publication dates a page declares: ``<meta>`` tags and JSON-LD ``datePublished``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.json_ld: list[str] = []
        self._in_json = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k.lower(): v or "" for k, v in attrs}
        if tag == "meta" and a.get("content"):
            for key in ("property", "name", "itemprop"):
                if a.get(key):
                    self.meta.setdefault(a[key].lower(), a["content"])
        elif tag == "time" and a.get("itemprop", "").lower() == "datepublished":
            self.meta.setdefault("datepublished", a.get("datetime", ""))
        self._in_json = tag == "script" and a.get("type", "").lower() == "application/ld+json"

    def handle_endtag(self, tag: str) -> None:
        self._in_json = False

    def handle_data(self, data: str) -> None:
        if self._in_json:
            self.json_ld.append(data)


def _json_published(blobs: list[str]) -> str | None:
    for blob in blobs:
        found = re.search(r'"datePublished"\s*:\s*("[^"]*")', blob)
        if found:
            return json.loads(found.group(1))
    return None


def declared_date(markup: str) -> str | None:
    """The ISO publication date an HTML page declares in its metadata, or None.

    >>> declared_date('<meta property="article:published_time" content="2024-10-23T08:15:00Z">')
    '2024-10-23'
    >>> declared_date("<p>Published October 23, 2024</p>") is None  # text is not metadata
    True
    """
    parser = _MetaDates()
    parser.feed(markup)
    parser.close()
    for key in _PUBLISHED:
        value = parser.meta.get(key)
        if value and (parsed := parse_date(value)):
            return parsed
    value = _json_published(parser.json_ld)
    return parse_date(value) if value else None


def html_document(markup: str, name: str = "page") -> Document:
    """An HTML page's main text, headline, author, site name and declared date."""
    import trafilatura  # imported when a page is read: it loads lxml and its models

    visible = html_to_text(markup)
    doc = None
    if len(visible) >= SHORT_PAGE:
        doc = trafilatura.bare_extraction(markup, with_metadata=True, include_comments=False,
                                          include_tables=True, deduplicate=False,
                                          date_extraction_params={"extensive_search": False})
    main = (doc.text or "").strip() if doc is not None else ""
    text = main + "\n" if main else visible
    if not text.strip():
        raise IngestError(name, "the HTML page has no visible text")
    date = declared_date(markup)

    def field(value: str | None) -> str | None:
        value = " ".join((value or "").split())
        return value or None

    return Document(text, title=field(doc.title) if doc else None,
                    author=field(doc.author) if doc else None,
                    publisher=field(doc.sitename) if doc else None, date=date,
                    date_how="html meta" if date else "")


def _pdf_title(title: str | None) -> str | None:
    """A PDF's metadata title, unless it is a file name or a placeholder ("Microsoft Word -
    report.docx", "untitled")."""
    title = " ".join((title or "").split())
    if not title or re.search(r"\.(docx?|pdf|odt|rtf|txt|indd|pages)$|^untitled$|^microsoft ",
                              title, re.IGNORECASE):
        return None
    return title


def pdf_document(data: bytes, name: str = "file.pdf") -> Document:
    """The text layer of a PDF, one page after another (see the module docstring).

    Scanned (no text), encrypted and unreadable PDFs raise :class:`IngestError` with why.
    """
    from pypdf import PdfReader  # imported when a PDF is read

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # an owner password alone still allows reading
            except Exception:  # noqa: BLE001 - an unsupported cipher is as closed as a password
                opened = 0
            if not opened:
                raise IngestError(name, "the PDF is encrypted (password-protected); save an "
                                        "unprotected copy and add that")
        pages = [re.sub(r"[ \t]+\n", "\n", (page.extract_text() or "").replace("\f", " "))
                 .strip("\n") for page in reader.pages]
        info = reader.metadata
    except IngestError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds for a damaged file
        raise IngestError(name, f"not a readable PDF ({type(exc).__name__}: {exc}); the file "
                                f"may be damaged or incomplete") from None
    if not pages or not "".join(pages).strip():
        raise IngestError(name, "the PDF has no text layer (a scanned document?); run it "
                                "through OCR and add the result")
    date = title = author = None
    if info is not None:
        try:
            date = iso_of(info.creation_date)
        except Exception:  # noqa: BLE001 - a malformed date states nothing
            date = None
        title, author = _pdf_title(info.title), " ".join((info.author or "").split()) or None
    return Document(PAGE_BREAK.join(pages) + "\n", title=title, author=author, date=date,
                    date_how="pdf metadata" if date else "")


def page_at(source: str, text: str, offset: int) -> int | None:
    """The page (from 1) of ``text[offset]`` in a PDF's text; None for other formats.

    >>> page_at("r.pdf", "one\\n\\f\\ntwo\\n\\f\\nthree", 12), page_at("r.txt", "a\\fb", 3)
    (3, None)
    """
    if not source.lower().endswith(".pdf"):
        return None
    return text.count("\f", 0, offset) + 1
