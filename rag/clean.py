"""Separating a scraped report from its page furniture, without touching the original text.

Rules are general (they describe kinds of furniture, not particular files):

- a furniture heading ("Related News", "Recommended", "Video Articles", "Expanded Coverage:",
  "Read more", ...) starts a list of teasers; the list runs while lines stay short,
  end in "..." or are dates, and ends at the first real paragraph;
- sharing and newsletter prompts ("JOIN US ON TELEGRAM", "press Ctrl + Enter") are dropped;
- disclaimers ("Not a recommendation to buy or sell", "The author holds no ...") are dropped;
- a short line with a full date and no sentence punctuation is a link to another story;
- a byline ("By Smartencyclopedia with Agencies") gives the publisher.

The title is a headline-like first line, else the report's first sentence.
"""

from __future__ import annotations

import re

from rag.text import lines_with_offsets, split_sentences
from rag.types import Report, Span

_FURNITURE_HEADING = re.compile(
    r"^(related( news| stories| articles| posts| coverage)?|recommended( for you| stories)?|"
    r"video articles|videos?|expanded coverage|read (more|also|next)|more (from|on) .{0,40}|"
    r"you (may|might) also like|most (read|popular)|trending( now)?|popular( stories)?|"
    r"latest( news| stories)?|more stories|see also|further reading|top stories)\s*:?$",
    re.IGNORECASE,
)
_PROMPT = re.compile(
    r"join us on|follow (us|our coverage)|subscribe|sign up|newsletter|ctrl ?\+ ?enter|"
    r"share (this|on)|click here|highlight the text|download (our|the) app|"
    r"support (our|independent) journalism|advertisement",
    re.IGNORECASE,
)
_DISCLAIMER = re.compile(
    r"not a recommendation to buy or sell|the author (has|holds) no|consult a professional|"
    r"information for this story was found via|all rights reserved|^copyright\b|^©|"
    r"do additional research|this article is for informational purposes",
    re.IGNORECASE,
)
_MONTH = (r"(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|"
          r"sep(t(ember)?)?|oct(ober)?|nov(ember)?|dec(ember)?)\.?")
_FULL_DATE = re.compile(rf"\b{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}\b", re.IGNORECASE)
_DATE_LINE = re.compile(
    rf"^((mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}"
    r"([,\s]+\d{1,2}:\d{2}(:\d{2})?\s*([ap]m)?)?$",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"follow (us|our coverage).{0,60}?@(?P<handle>[A-Za-z][\w.]{2,40})", re.IGNORECASE)
_BYLINE = re.compile(r"^by\s+(?P<name>[^,.;]{2,60}?)(\s+(with|and)\s+(agencies|wires).*)?$",
                     re.IGNORECASE)


def _words(text: str) -> int:
    return len(text.split())


def _is_teaser(line: str) -> bool:
    return (_words(line) < 30 or line.endswith(("...", "…"))
            or bool(_DATE_LINE.match(line)))


def _looks_like_headline(line: str) -> bool:
    return _words(line) <= 20 and not line.endswith((".", ",", ";", ":"))


def _short_title(sentence: str, limit: int = 110) -> str:
    if len(sentence) <= limit:
        return sentence
    cut = sentence[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def _publisher_from_handle(handle: str, original: str) -> str | None:
    """"Follow our coverage on @Kyivpost_official" + "Kyiv Post" in the text -> "Kyiv Post"."""
    handle = handle.rstrip(".")
    stem = re.sub(r"[_.]?(official|news|media|online)$", "", handle, flags=re.IGNORECASE).lower()
    stem = re.sub(r"[^a-z0-9]", "", stem)
    if len(stem) < 3:
        return None
    words = r"[A-Z][\w’']*"
    for match in re.finditer(rf"\b{words}(?:\s+{words}){{0,3}}", original):
        if re.sub(r"[^a-z0-9]", "", match.group().lower()) == stem:
            return match.group()
    return None


def clean(source: str, original: str, title: str | None = None,
          publisher: str | None = None) -> Report:
    """Find what in ``original`` is the report: title, publisher, kept blocks and sentences.

    ``title``/``publisher``: what the file itself states (an HTML page's headline and site
    name), preferred to what the text suggests."""
    stated_title, stated_publisher = title, publisher
    kept: list[Span | None] = []  # None marks a dropped line (it breaks a block)
    publisher = None
    handle_publisher = None
    in_teasers = False
    for line in lines_with_offsets(original):
        text = line.text
        if _FURNITURE_HEADING.match(text):
            in_teasers = True
            kept.append(None)
            continue
        if in_teasers and _is_teaser(text):
            kept.append(None)
            continue
        in_teasers = False
        handle = _HANDLE.search(text)
        if handle and handle_publisher is None:
            handle_publisher = _publisher_from_handle(handle.group("handle"), original)
        byline = _BYLINE.match(text) if _words(text) <= 10 else None
        if byline and publisher is None:
            publisher = byline.group("name").strip()
            kept.append(None)
        elif ((_PROMPT.search(text) and _words(text) <= 25) or _DISCLAIMER.search(text)
              or _DATE_LINE.match(text)
              or (_FULL_DATE.search(text) and _words(text) <= 12
                  and not text.endswith((".", "!", "?", "”", '"')))):
            kept.append(None)
        else:
            kept.append(line)

    blocks: list[Span] = []
    run: list[Span] = []
    for item in kept + [None]:
        if item is not None:
            run.append(item)
            continue
        if run:
            s, e = run[0].start, run[-1].end
            blocks.append(Span(original[s:e], s, e))
            run = []

    publisher = stated_publisher or publisher or handle_publisher
    sentences = tuple(s for b in blocks for s in split_sentences(original, b.start, b.end))
    first_line = next((k for k in kept if k is not None), None)
    if stated_title:
        title = stated_title
    elif first_line is not None and _looks_like_headline(first_line.text):
        title = first_line.text
    elif sentences:
        title = _short_title(sentences[0].text)
    else:
        title = source
    return Report(source=source, original=original, title=title, publisher=publisher,
                  blocks=tuple(blocks), sentences=sentences)
