"""Reading files into text, and splitting text into sentences with exact offsets.

Every span returned here satisfies ``text[span.start:span.end] == span.text``.

    >>> [s.text for s in split_sentences("Mr. Kim left. U.S. officials said 3,000 went.")]
    ['Mr. Kim left.', 'U.S. officials said 3,000 went.']
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

from rag.errors import IngestError
from rag.types import Span

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "maj", "sgt", "capt", "cmdr", "adm",
    "gov", "sen", "rep", "st", "jr", "sr", "inc", "ltd", "co", "corp", "vs", "etc", "no",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "dept", "est", "fig", "al", "approx", "pres", "gov't", "mt", "ft",
}
# End of a sentence: terminal punctuation, optional closing quotes/brackets, then whitespace.
_BOUNDARY = re.compile(r"[.!?…]+[\"”’')\]]*(?=\s)")
_SENTENCE_START = re.compile(r"\s+([\"“‘'(\[]?[A-Z0-9À-Ý])")


def decode(data: bytes, name: str = "file") -> str:
    """Decode file bytes: UTF-8 (BOM optional) or UTF-16 with a BOM; anything else is an error."""
    if not data.strip():
        raise IngestError(name, "the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise IngestError(name, "invalid UTF-16 text; re-save the file as UTF-8") from None
    else:
        if b"\x00" in data[:8192]:
            raise IngestError(name, "binary file (NUL bytes); only text reports can be indexed")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise IngestError(
                name, f"not UTF-8 (byte {exc.start} is invalid); re-save the file as UTF-8"
            ) from None
    if not text.strip():
        raise IngestError(name, "the file has no text")
    return text


def read_text(path: Path) -> str:
    """The report text of a file: the decoded file, for HTML its main text, for PDF its text
    layer (see :mod:`rag.formats`).

    For ``.html`` and ``.pdf`` files all offsets refer to this extracted text, which is what
    the user is shown; extraction is deterministic, so it can always be re-derived.
    """
    from rag.formats import read_document  # formats builds on this module

    return read_document(path).text


class _TextExtractor(HTMLParser):
    _SKIP = {"script", "style", "noscript", "template", "nav", "footer", "aside", "form",
             "svg", "button", "iframe", "head"}
    _BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section",
              "article", "header", "blockquote", "pre", "ul", "ol", "table", "title", "figcaption"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._SKIP:
            self.skip_depth += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Visible text of an HTML page, one paragraph a line (scripts, nav and footers dropped)."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    raw = html.unescape("".join(parser.parts))
    lines = (re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip() for line in raw.split("\n"))
    return "\n".join(line for line in lines if line) + "\n"


def lines_with_offsets(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Non-blank lines of ``text[start:end]``, stripped, with offsets into ``text``."""
    end = len(text) if end is None else end
    spans = []
    for match in re.finditer(r"[^\n]+", text[start:end]):
        raw = match.group()
        left = len(raw) - len(raw.lstrip())
        stripped = raw.strip()
        if stripped:
            s = start + match.start() + left
            spans.append(Span(stripped, s, s + len(stripped)))
    return spans


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the period at ``text[dot]`` ends an abbreviation or initial, not a sentence."""
    if text[dot] != ".":
        return False
    begin = dot
    while begin > 0 and not text[begin - 1].isspace():
        begin -= 1
    word = text[begin:dot].lstrip("\"“‘'([")
    if not word:
        return False
    if "." in word:  # U.S. / e.g. / a.m.
        return True
    if len(word) == 1 and word.isalpha():  # an initial: "Michael R. Turner"
        return True
    return word.lower() in _ABBREVIATIONS


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentences of ``text[start:end]`` with offsets into ``text``; line breaks always split."""
    spans: list[Span] = []
    for line in lines_with_offsets(text, start, end):
        cursor = line.start
        for match in _BOUNDARY.finditer(text, line.start, line.end):
            stop = match.end()
            nxt = _SENTENCE_START.match(text, stop, line.end)
            if not nxt or _is_abbreviation(text, match.start()):
                continue
            piece = text[cursor:stop]
            if piece.strip():
                spans.append(Span(piece, cursor, stop))
            cursor = nxt.start(1)
        if cursor < line.end:
            spans.append(Span(text[cursor:line.end], cursor, line.end))
    return spans
