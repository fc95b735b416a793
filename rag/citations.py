"""Resolving the model's evidence numbers into verified quotes.

The model only writes numbers like ``[2]`` or ``[1, 3]``; the quote, file and offsets come
from the evidence list, and each is checked against the source text before it is shown:

    >>> cited_numbers("Peskov denied it [2][5]. Seoul disagreed [1, 2].")
    [2, 5, 1]

A number that names no evidence is dropped from the text and never shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.bm25 import tokenize
from rag.figures import MARKER
from rag.formats import page_at
from rag.text import split_sentences
from rag.types import Citation, Evidence


def _numbers(group: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*(?:,|;|and)\s*", group):
        if re.fullmatch(r"\d+\s*[-–]\s*\d+", part):
            a, b = (int(x) for x in re.split(r"[-–]", part))
            out += list(range(a, b + 1)) if 0 < b - a < 20 else [a, b]
        elif part.strip().isdigit():
            out.append(int(part))
    return out


def cited_numbers(text: str) -> list[int]:
    """Evidence numbers cited in ``text``, in order of first appearance."""
    seen: list[int] = []
    for match in MARKER.finditer(text):
        for n in _numbers(match.group(1)):
            if n not in seen:
                seen.append(n)
    return seen


def strip_invalid_markers(text: str, valid: set[int]) -> str:
    """Remove citation numbers that name no evidence (a marker left empty disappears)."""
    def fix(match: re.Match) -> str:
        kept = [n for n in _numbers(match.group(1)) if n in valid]
        return "".join(f"[{n}]" for n in dict.fromkeys(kept)) or "\x00"
    return re.sub(r"[ \t]*\x00", "", MARKER.sub(fix, text)).strip()


_META = re.compile(
    r"^(?:this|that|these|the above)(?:\s+(?:information|claims?|response|answer|facts?|"
    r"characterization|statement|description))?\s+(?:is|are|was|were|can be)\s+(?:\w+\s+)?"
    r"(?:stated|cited|supported|based|found|mentioned|provided|given|taken|drawn|seen|reported|"
    r"shown|noted|indicated|documented|confirmed)\b[^0-9]*$"
    # "This loan was made in [3].": a sentence whose only object was the marker
    r"|^(?:this|that|these|it)\b[^0-9,;]{0,60}\s(?:in|from|by|to|per|see|at|on)\s*[.!?]?$",
    re.I)
# ", as stated in [1]." closing a sentence: where it came from, said in words
_META_CLAUSE = re.compile(
    r"(?:,\s*(?:as\s+)?|\s+as\s+)(?:stated|cited|reported|mentioned|noted|shown|indicated|"
    r"given|seen)\s+"
    r"(?:in|by)(?:\s+(?:the\s+)?(?:evidence|reports?|sentences?))?(?=\s*(?:\[\d+\]\s*)+[.!?]?\s*$)",
    re.I)
_LEADING_MARKERS = re.compile(r"^(?:" + MARKER.pattern + r"\s*)+")


def _sentences_and_gaps(text: str) -> list[str]:
    """``[sentence, gap, sentence, gap, ..., sentence]`` of ``text``, joined back losslessly,
    split by the one sentence splitter (:func:`rag.text.split_sentences`)."""
    spans = split_sentences(text)
    if not spans:
        return [text]
    parts = [text[:spans[0].end]]
    for prev, span in zip(spans, spans[1:], strict=False):
        parts += [text[prev.end:span.start], text[span.start:span.end]]
    parts[-1] += text[spans[-1].end:]
    return parts


def answer_sentences(answer: str) -> list[str]:
    """Sentences of an answer; a run of markers after the full stop stays with its sentence.

    >>> answer_sentences("Kim left. [1] He said so [2].")
    ['Kim left. [1]', 'He said so [2].']
    """
    out: list[str] = []
    for span in split_sentences(answer):
        text = span.text.strip()
        lead = _LEADING_MARKERS.match(text)
        if out and lead:
            out[-1] = f"{out[-1]} {lead.group().strip()}"
            text = text[lead.end():].strip()
        if re.search(r"\w", MARKER.sub("", text)):
            out.append(text)
        elif out and text:
            out[-1] = f"{out[-1]} {text}"
    return out


def drop_meta_sentences(text: str) -> str:
    """Remove short sentences that only say where the previous one came from ("This
    information is stated in [5].") and move their markers onto that previous sentence.

    >>> drop_meta_sentences("Peskov denied it. This information is stated in report [2].")
    'Peskov denied it [2].'
    >>> drop_meta_sentences('It would follow "international law." This is supported by [1].')
    'It would follow "international law." [1]'

    A clause that only says where the sentence came from goes too:

    >>> drop_meta_sentences("The January rise was 1.0 pct, as stated in [1].")
    'The January rise was 1.0 pct [1].'
    """
    parts = _sentences_and_gaps(text.strip())
    out: list[str] = []
    for i in range(0, len(parts), 2):
        sentence = parts[i]
        markers = [n for m in MARKER.finditer(sentence) for n in _numbers(m.group(1))]
        meta = bool(_META.match(MARKER.sub("", sentence).strip()))
        if not meta:
            sentence = _META_CLAUSE.sub("", sentence)
        if out and markers and meta:
            prev = out[-2] if len(out) >= 2 else out[-1]
            have = set(cited_numbers(prev))
            tags = "".join(f"[{n}]" for n in dict.fromkeys(markers) if n not in have)
            if tags:
                body = prev.rstrip()
                cut = len(body) - (1 if body[-1:] in ".!?" else 0)
                joiner = "" if body[:cut].endswith("]") else " "
                prev = (body[:cut] + joiner + tags + body[cut:] if body[-1:] in ".!?"
                        else body + " " + tags)
            out[-2 if len(out) >= 2 else -1] = prev
            continue  # the gap after the dropped sentence goes with it
        out.append(sentence)
        if i + 1 < len(parts):
            out.append(parts[i + 1])
    return "".join(out).strip()


def verify(ev: Evidence, original: str | None) -> bool:
    """The evidence text is exactly the source text at its offsets."""
    return original is not None and original[ev.start:ev.end] == ev.text


def attribute(sentence: str, evidence: list[Evidence], threshold: float = 0.6,
              given: str = "") -> Evidence | None:
    """The evidence that a model sentence without a marker restates, if any clearly does.

    A sentence counts as restating evidence when at least ``threshold`` of its content
    words (numbers included) are in that evidence sentence; a one-word answer ("Friday"), when
    exactly one evidence sentence holds the word. Words of ``given`` (the question)
    are not content: "Park Sun-won relayed what the NIS told legislators" answers "Which
    lawmaker relayed what the NIS told legislators?" with two words, Park and Sun-won.
    """
    words = set(tokenize(MARKER.sub("", sentence))) - set(tokenize(given))
    if not words:
        return None
    if len(words) == 1:  # a one-word answer ("Friday"): only if one evidence sentence has it
        hits = [ev for ev in evidence if words <= set(tokenize(ev.text))]
        return hits[0] if len(hits) == 1 else None
    best, best_share = None, 0.0
    for ev in evidence:
        share = len(words & set(tokenize(ev.text))) / len(words)
        if share > best_share:
            best, best_share = ev, share
    return best if best_share >= threshold else None


def resolve(text: str, evidence: list[Evidence], original_of: Callable[[str], str | None],
            question: str = "") -> tuple[str, list[Citation]]:
    """The answer text with invalid markers removed, and its verified citations.

    Cited numbers come first, in order; then evidence that uncited answer sentences clearly
    restate. Citations whose quote does not match the source text are dropped.
    """
    by_n = {ev.n: ev for ev in evidence}
    clean = strip_invalid_markers(text, set(by_n))
    order = [n for n in cited_numbers(clean) if n in by_n]
    for sentence in answer_sentences(clean):
        if sentence.strip() and not MARKER.search(sentence):
            ev = attribute(sentence, evidence, given=question)
            if ev is not None and ev.n not in order:
                order.append(ev.n)
    cites = []
    for n in order:
        original = original_of(by_n[n].source)
        if verify(by_n[n], original):
            cites.append(citation(by_n[n], original))
    return clean, cites


def citation(ev: Evidence, original: str) -> Citation:
    """The citation of an evidence sentence verified in ``original`` (see :func:`verify`),
    with the report's date and, for a PDF, the page the quote starts on."""
    return Citation(n=ev.n, source=ev.source, title=ev.title, publisher=ev.publisher,
                    quote=ev.text, start=ev.start, end=ev.end, date=ev.date,
                    page=page_at(ev.source, original, ev.start))
