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
    """Decode file bytes to text (see ``decode_report``, which also names the encoding)."""
    return decode_report(data, name)[0]


def decode_report(data: bytes, name: str = "file") -> tuple[str, str]:
    """Decode file bytes: (text, encoding). UTF-8 (BOM optional), UTF-16 with a BOM, else a
    legacy single-byte encoding: cp1252 (or Latin-1) for mostly-ASCII text such as a 2005
    article with "£", or one a detector (charset-normalizer) is sure of, such as cp1251
    Russian. A NUL byte anywhere means a binary file.

        >>> decode_report("costs £300".encode("latin-1"))
        ('costs £300', 'cp1252')
    """
    if not data.strip():
        raise IngestError(name, "the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text, encoding = data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise IngestError(name, "invalid UTF-16 text; re-save the file as UTF-8") from None
    elif b"\x00" in data:
        raise IngestError(name, "binary file (NUL bytes); only text reports can be indexed")
    else:
        try:
            text, encoding = data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError as exc:
            text, encoding = _legacy(data, name, exc.start)
    if not text.strip():
        raise IngestError(name, "the file has no text")
    return text, encoding


_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f-\x9f]")


def _legacy(data: bytes, name: str, bad: int) -> tuple[str, str]:
    """Text of a file that is not UTF-8, in a single-byte encoding we can be sure of."""
    refuse = IngestError(name, f"not UTF-8 (byte {bad} is invalid) and no single-byte "
                               f"encoding fits it surely; re-save the file as UTF-8")
    text, encoding = None, None
    for western in ("cp1252", "latin-1"):
        try:
            candidate = data.decode(western)
        except UnicodeDecodeError:
            continue
        letters = [c for c in candidate if c.isalpha()]
        if letters and sum(c.isascii() for c in letters) >= 0.9 * len(letters):
            text, encoding = candidate, western  # Western text: a few £, é, “ ” in English
        break
    if text is None:
        from charset_normalizer import from_bytes
        from charset_normalizer.utils import is_multi_byte_encoding

        best = from_bytes(data).best()
        if best is None or is_multi_byte_encoding(best.encoding) or best.chaos > 0.1:
            raise refuse
        text, encoding = str(best), best.encoding
    if len(_CONTROL.findall(text)) > 0.01 * len(text):
        raise refuse
    return text, encoding


def read_text(path: Path) -> str:
    """The report text of a file: the decoded file, for HTML its main text, for PDF its text
    layer (see :mod:`rag.formats`).

    For ``.html`` and ``.pdf`` files all offsets refer to this extracted text, which is what
    the user is shown; extraction is deterministic, so it can always be re-derived.
    """
    from rag.formats import read_document  # formats builds on this module

    return read_document(path).text


def read_report(path: Path) -> tuple[str, str]:
    """``read_text`` plus the encoding the file was decoded from (``utf-8``, ``cp1252``,
    ``pdf``...)."""
    from rag.formats import read_document

    doc = read_document(path)
    return doc.text, doc.encoding


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


MAX_SENTENCE_CHARS = 600  # longer runs (a 23 KB line without punctuation) become windows


def windows(text: str, span: Span, max_chars: int = MAX_SENTENCE_CHARS) -> list[Span]:
    """``span`` cut into pieces of at most ``max_chars``, at whitespace where there is some.

        >>> [s.text for s in windows("aaa bbb ccc", Span("aaa bbb ccc", 0, 11), 8)]
        ['aaa bbb', 'ccc']
    """
    out: list[Span] = []
    start = span.start
    while span.end - start > max_chars:
        cut = text.rfind(" ", start + 1, start + max_chars + 1)
        cut = cut if cut > start else start + max_chars
        piece = text[start:cut].rstrip()
        out.append(Span(piece, start, start + len(piece)))
        start = cut
        while start < span.end and text[start].isspace():
            start += 1
    if start < span.end:
        out.append(Span(text[start:span.end], start, span.end))
    return out


def split_sentences(text: str, start: int = 0, end: int | None = None,
                    max_chars: int = MAX_SENTENCE_CHARS) -> list[Span]:
    """Sentences of ``text[start:end]`` with offsets into ``text``; line breaks split, except
    where a line only wraps a sentence (``paragraphs_with_offsets``), and a sentence longer
    than ``max_chars`` is cut into windows (see ``windows``), so no evidence sentence or
    chunk can outgrow a prompt."""
    spans = [w for s in _sentences(text, start, end) for w in windows(text, s, max_chars)]
    return spans


_ENDS_SENTENCE = re.compile(r"[.!?…:;][\"”’')\]]*$")
_ITEM_START = re.compile(r"[-*•#>|]|\d+[.)]\s")
WRAP_WIDTH = 100  # lines of a hard-wrapped text (a newswire's) are at most this long


def _wrap_width(lines: list[Span]) -> int | None:
    """The width these lines are hard-wrapped at (a newswire story, a plain-text e-mail),
    or None when they are not: at least four lines (list items aside, and the last, which
    may be short), all at most ``WRAP_WIDTH`` long, half of them close to the longest,
    and half of them ending mid-sentence."""
    inner = [line for line in lines[:-1] if not _ITEM_START.match(line.text)]
    if len(inner) < 4:
        return None
    width = max(len(line.text) for line in inner)
    if width > WRAP_WIDTH:
        return None
    full = sum(len(line.text) >= 0.7 * width for line in inner)
    open_ended = sum(not _ENDS_SENTENCE.search(line.text) for line in inner)
    return width if full * 2 >= len(inner) and open_ended * 2 >= len(inner) else None


def _soft_break(text: str, before: Span, after: Span, width: int | None) -> bool:
    """Whether the line break between ``before`` and ``after`` only wraps a sentence: the
    line before ends mid-sentence and is no headline, and the next line continues it (not
    indented, no list item) in lower case, or in hard-wrapped text after a line at least
    half the width (its indent counted)."""
    last = before.text.rsplit("\n", 1)[-1]
    if (_ENDS_SENTENCE.search(last) or last.isupper() or len(last) > WRAP_WIDTH
            or _ITEM_START.match(after.text)):
        return False
    gap = text[before.end:after.start]
    if gap.count("\n") != 1 or not gap.endswith("\n"):  # a blank line, or an indent
        return False
    indent = before.end - len(last) - (text.rfind("\n", 0, before.end - len(last)) + 1)
    return after.text[0].islower() or (width is not None and indent + len(last) >= width / 2)


def paragraphs_with_offsets(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Lines of ``text[start:end]`` (see ``lines_with_offsets``) with the lines of a
    hard-wrapped sentence joined again, offsets into ``text``; the text keeps its line
    breaks, so the quote is still the exact source.

        >>> [s.text for s in paragraphs_with_offsets("HEADLINE|A fully-owned|subsidiary "
        ...                                         "said.|    Next one.".replace("|", chr(10)))]
        ['HEADLINE', 'A fully-owned\\nsubsidiary said.', 'Next one.']
    """
    lines = lines_with_offsets(text, start, end)
    width = _wrap_width(lines)
    out: list[Span] = []
    for line in lines:
        if out and _soft_break(text, out[-1], line, width):
            s = out[-1].start
            out[-1] = Span(text[s:line.end], s, line.end)
        else:
            out.append(line)
    return out


def _sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    spans: list[Span] = []
    for line in paragraphs_with_offsets(text, start, end):
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
