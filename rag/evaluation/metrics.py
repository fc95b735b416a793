"""Deterministic answer and retrieval metrics: pure functions, no model, no I/O.

Texts are compared after :func:`normalize` (case, curly quotes, thousands separators), and a
surface form matches only at the start of a word, and not inside a longer number:

    >>> has_form("About 12,000 soldiers [2].", ["12000"]), has_form("It is 112000.", ["12000"])
    (True, False)

Locations (gold spans, retrieved chunks, citations) are anything with ``source``, ``start``
and ``end``; :class:`Loc` is the smallest such thing. A function returns ``None`` when a
metric does not apply to an item (no gold evidence, no citations...); averages skip ``None``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple, Protocol

from rag import entailment
from rag.citations import MARKER, answer_sentences, cited_numbers
from rag.figures import figures, parse_number
from rag.types import Evidence

KS = (1, 3, 5, 10)


class Located(Protocol):
    source: str
    start: int
    end: int


class Loc(NamedTuple):
    """A span of a report: ``(source, start, end)``."""

    source: str
    start: int
    end: int


# -- text matching -----------------------------------------------------------------------
_LOOKALIKES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
                             "\u00a0": " ", "\u202f": " ", "\u2013": "-", "\u2014": "-"})
_THOUSANDS = re.compile(r"(?<=\d)[, ](?=\d{3}(?!\d))")


def normalize(text: str) -> str:
    """Case-folded text with ASCII quotes and without thousands separators.

    >>> normalize("Zelensky’s “12,000” and 12 000 TROOPS")
    'zelensky\\'s "12000" and 12000 troops'
    """
    text = " ".join(text.translate(_LOOKALIKES).split()).casefold()
    return _THOUSANDS.sub("", text)


def form_spans(norm_text: str, form: str) -> list[tuple[int, int]]:
    """Where ``form`` occurs in already-normalised text: at a word start, not inside a number.

    A form is a prefix match ("tactic" finds "tactics"), but "6" does not match "16" or "60".

    >>> form_spans("16 or 6 tactics", "6"), form_spans("16 or 6 tactics", "tactic")
    ([(6, 7)], [(8, 14)])
    """
    needle = normalize(form)
    if not needle:
        return []
    out = []
    at = norm_text.find(needle)
    while at >= 0:
        end = at + len(needle)
        before = norm_text[at - 1] if at else " "
        after = norm_text[end] if end < len(norm_text) else " "
        ok_left = not (needle[0].isalnum() and before.isalnum())
        ok_right = not (needle[-1].isdigit() and after.isdigit())
        if ok_left and ok_right:
            out.append((at, end))
        at = norm_text.find(needle, at + 1)
    return out


def strip_markers(text: str) -> str:
    """The text without citation markers, so that "[6]" never counts as the number six.

    >>> strip_markers("Six died [6][2, 3].")
    'Six died .'
    """
    return MARKER.sub("", text)


def has_form(text: str, forms: Iterable[str]) -> bool:
    """Whether any accepted form occurs in ``text`` (citation markers ignored)."""
    norm = normalize(strip_markers(text))
    return any(form_spans(norm, f) for f in forms)


# -- key facts ---------------------------------------------------------------------------
def key_fact_recall(answer: str, key_facts: Sequence[Sequence[str]]) -> float | None:
    """Share of key facts stated in ``answer``; a fact is a list of accepted forms.

    >>> facts = [["12000"], ["ten thousand", "10,000"], ["Kursk"]]
    >>> key_fact_recall("About 12,000 troops [1], not 10000.", facts)
    0.6666666666666666
    >>> key_fact_recall("The reports don't cover this.", []) is None
    True
    """
    if not key_facts:
        return None
    return sum(has_form(answer, fact) for fact in key_facts) / len(key_facts)


def all_facts_hit(answer: str, key_facts: Sequence[Sequence[str]]) -> bool | None:
    """True when every key fact is in the answer.

    >>> all_facts_hit("Peskov [1].", [["Peskov"]]), all_facts_hit("Peskov.", [["Peskov"], ["Kim"]])
    (True, False)
    """
    recall = key_fact_recall(answer, key_facts)
    return None if recall is None else recall == 1.0


# -- retrieval ---------------------------------------------------------------------------
def contains(outer: Located, inner: Located) -> bool:
    """Whether span ``outer`` holds all of span ``inner`` (same report)."""
    return outer.source == inner.source and outer.start <= inner.start and inner.end <= outer.end


def overlaps(a: Located, b: Located) -> bool:
    """Whether two spans share at least one character (same report)."""
    return a.source == b.source and a.start < b.end and b.start < a.end


def retrieval_at_k(ranked: Sequence[Located], gold: Sequence[Located],
                   ks: Sequence[int] = KS) -> dict[str, float] | None:
    """hit@k, recall@k and MRR of ranked chunks against gold spans (None without gold).

    A chunk is relevant when it contains a gold span. hit@k: a relevant chunk is in the top k.
    recall@k: share of gold spans contained in a top-k chunk. mrr: 1 / rank of the first
    relevant chunk (0 if none is ranked). Two gold spans, the first inside the 2nd chunk:

    >>> chunks = [Loc("a", 0, 50), Loc("b", 0, 90), Loc("c", 0, 40)]
    >>> gold = [Loc("b", 10, 30), Loc("d", 0, 5)]
    >>> retrieval_at_k(chunks, gold, ks=(1, 3))
    {'hit@1': 0.0, 'hit@3': 1.0, 'recall@1': 0.0, 'recall@3': 0.5, 'mrr': 0.5}
    """
    if not gold:
        return None
    relevant = [any(contains(chunk, g) for g in gold) for chunk in ranked]
    out: dict[str, float] = {}
    for k in ks:
        out[f"hit@{k}"] = float(any(relevant[:k]))
    for k in ks:
        top = ranked[:k]
        out[f"recall@{k}"] = sum(any(contains(c, g) for c in top) for g in gold) / len(gold)
    first = next((i for i, rel in enumerate(relevant) if rel), None)
    out["mrr"] = 0.0 if first is None else 1.0 / (first + 1)
    return out


# -- citations ---------------------------------------------------------------------------
class Cited(Protocol):
    n: int
    source: str


class Quoted(Located, Protocol):
    quote: str


def quote_is_exact(citation: Quoted, *originals: Mapping[str, str | None]) -> bool:
    """The quote is byte for byte the source text at its offsets, in every given text map.

    >>> from types import SimpleNamespace as NS
    >>> c = NS(source="r.txt", quote="Kim left.", start=4, end=13)
    >>> quote_is_exact(c, {"r.txt": "Mr. Kim left."}), quote_is_exact(c, {"r.txt": "Mr. Kim left!"})
    (True, False)
    """
    if not originals or citation.start < 0 or citation.end <= citation.start:
        return False
    for texts in originals:
        text = texts.get(citation.source)
        if text is None or citation.end > len(text):
            return False
        if text[citation.start:citation.end].encode("utf-8") != citation.quote.encode("utf-8"):
            return False
    return True


def quote_exactness(citations: Sequence[Quoted],
                    *originals: Mapping[str, str | None]) -> float | None:
    """Share of citations whose quote is exact (see :func:`quote_is_exact`); None without any."""
    if not citations:
        return None
    return sum(quote_is_exact(c, *originals) for c in citations) / len(citations)


def citation_coverage(answer: str, cited: Iterable[int]) -> float | None:
    """Share of answer sentences carrying a marker of a verified citation (None if no sentences).

    ``cited`` are the evidence numbers of the answer's verified citations; a marker that did
    not verify does not count.

    >>> citation_coverage("Kim left [1]. He said so. Seoul agreed [9].", {1})
    0.3333333333333333
    """
    sentences = answer_sentences(answer)
    if not sentences:
        return None
    valid = set(cited)
    covered = sum(bool(set(cited_numbers(s)) & valid) for s in sentences)
    return covered / len(sentences)


def evidence_precision_recall(citations: Sequence[Located], gold: Sequence[Located]
                              ) -> tuple[float | None, float | None]:
    """(share of citations overlapping a gold span, share of gold spans overlapped by one).

    Precision is None without citations; both are None without gold evidence.

    >>> cited, gold = [Loc("a", 0, 10), Loc("a", 50, 60)], [Loc("a", 5, 20), Loc("b", 0, 9)]
    >>> evidence_precision_recall(cited, gold)
    (0.5, 0.5)
    >>> evidence_precision_recall([], [Loc("a", 5, 20)])
    (None, 0.0)
    """
    if not gold:
        return None, None
    precision = (sum(any(overlaps(c, g) for g in gold) for c in citations) / len(citations)
                 if citations else None)
    recall = sum(any(overlaps(c, g) for c in citations) for g in gold) / len(gold)
    return precision, recall


class CitedSpan(Located, Protocol):
    n: int


def citation_support_gold(answer: str, citations: Sequence[CitedSpan], gold: Sequence[Located]
                          ) -> float | None:
    """Share of answer sentences whose every cited quote overlaps gold evidence (a sentence
    without a verified marker counts as unsupported); None without gold or sentences.

    >>> from types import SimpleNamespace as NS
    >>> cites = [NS(n=1, source="a", start=0, end=10), NS(n=2, source="a", start=50, end=60)]
    >>> citation_support_gold("Kim left [1]. Seoul agreed [1][2]. So.", cites, [Loc("a", 5, 9)])
    0.3333333333333333
    """
    sentences = answer_sentences(answer)
    if not gold or not sentences:
        return None
    by_n = {c.n: c for c in citations}

    def backed(sentence: str) -> bool:
        cited = [by_n[n] for n in cited_numbers(sentence) if n in by_n]
        return bool(cited) and all(any(overlaps(c, g) for g in gold) for c in cited)
    return sum(backed(s) for s in sentences) / len(sentences)


def citation_support_check(answer: str, evidence: Sequence[Evidence],
                           question: str = "") -> float | None:
    """Share of answer sentences that cite evidence and whose every marker supports them, by
    the engine's own check (:func:`rag.entailment.check`); None without sentences.

    >>> ev = [Evidence(1, "a", "A", None, "Kim Jong Gyu dismissed the reports as rumors.", 0, 45, 1)]
    >>> citation_support_check("Kim Jong Gyu dismissed the reports [1]. Seoul agreed [1].", ev)
    0.5
    """
    result = entailment.check(answer, evidence, question)
    if not result.sentences:
        return None
    return sum(bool(s.supported) and not s.unsupported and s.marked
               for s in result.sentences) / len(result.sentences)


# -- conflicts ---------------------------------------------------------------------------
class ClaimLike(Protocol):
    source: str
    value: str
    forms: Sequence[str]


def _value_markers(sentence: str, values: dict[str, list[str]]) -> dict[str, set[int]]:
    """Evidence numbers that follow each value's mention in one sentence.

    Markers belong to the closest value mentioned before them; a value directly followed by
    another value shares that one's markers ("12,000 and 10,000 [1][2]" cites both for both).
    """
    norm = normalize(sentence)
    markers = [(m.start(), cited_numbers(m.group())) for m in MARKER.finditer(norm)]
    masked = MARKER.sub(lambda m: " " * len(m.group()), norm)
    mentions = [(s, e, key) for key, forms in values.items() for f in forms
                for s, e in form_spans(masked, f)]
    # "denied" inside "neither confirmed nor denied" is not a mention of its own.
    mentions = [m for m in mentions if not any(o[0] <= m[0] and m[1] <= o[1] and o != m
                                               and o[2] != m[2] for o in mentions)]
    mentions.sort()
    found: dict[str, set[int]] = {}
    inherited: set[int] = set()
    for i in range(len(mentions) - 1, -1, -1):
        start, end, key = mentions[i]
        stop = mentions[i + 1][0] if i + 1 < len(mentions) else len(norm) + 1
        own = {n for pos, nums in markers if end <= pos < stop for n in nums}
        if i == 0:
            own |= {n for pos, nums in markers if pos < start for n in nums}
        nums = own or inherited
        inherited = nums
        found.setdefault(key, set()).update(nums)
    return found


def conflict_attribution(answer: str, citations: Sequence[Cited],
                         claims: Sequence[ClaimLike]) -> float | None:
    """Share of disputed values stated in the answer with a citation to a report giving them.

    Claims with the same value (say 12,000 from three reports) are one value; it counts when
    a sentence mentions one of its forms followed by a marker whose citation is from one of
    those reports. None for an item without claims.

    >>> from types import SimpleNamespace as NS
    >>> claims = [NS(source="a", value="12,000", forms=[]),
    ...           NS(source="b", value="10,000", forms=[])]
    >>> cites = [NS(n=1, source="a"), NS(n=2, source="b")]
    >>> conflict_attribution("The NIS said 12000 [1]; Zelensky said 10,000 [1].", cites, claims)
    0.5
    >>> conflict_attribution("Reports give 12,000 and 10,000 [1][2].", cites, claims)
    1.0
    """
    if not claims:
        return None
    values: dict[str, list[str]] = {}
    sources: dict[str, set[str]] = {}
    for c in claims:
        key = normalize(c.value)
        values.setdefault(key, [])
        values[key] += [f for f in (c.value, *c.forms) if f not in values[key]]
        sources.setdefault(key, set()).add(c.source)
    source_of = {c.n: c.source for c in citations}
    attributed: set[str] = set()
    for sentence in answer_sentences(answer):
        for key, numbers in _value_markers(sentence, values).items():
            if any(source_of.get(n) in sources[key] for n in numbers):
                attributed.add(key)
    return len(attributed) / len(values)


def _predicted_group(claim: Mapping, conflict: Mapping, index: int) -> tuple:
    """The group a found claim was put in: its conflict for figures, its stance for stances."""
    if conflict.get("kind") == "stance":
        return ("stance", claim["unit"])
    return ("figure", index)


def _matches(gold: Mapping, claim: Mapping, stance: bool) -> bool:
    """A found claim is the gold one when it is from the same report and says the same: the
    same number and unit for a figure ("four brigades" = 4 brigades), the phrase (one within
    the other, "confirmed" in "confirmed evidence") for a stance."""
    if claim["source"] != gold["source"]:
        return False
    if stance:
        a, b = normalize(claim["value"]).casefold(), normalize(gold["value"]).casefold()
        return bool(a) and (a in b or b in a)
    number = parse_number(gold["value"])
    unit = next((f.unit for f in figures(gold["value"])), "troops")
    return number is not None and claim.get("number") == number and claim.get("unit") == unit


def comparable_grouping(conflicts: Sequence[Mapping], gold_groups: Sequence[Mapping]
                        ) -> float | None:
    """Share of pairs of gold claims that are grouped as the gold groups them: together when
    they count the same thing (1,500 and 3,000 "already there"), apart when not (10,000
    "expected" vs 12,000 "committed in total"). Only claims found in ``conflicts`` (as in
    ``Answer.to_json()["conflicts"]``) are scored; None when fewer than two are found.

    >>> there = {"kind": "figure", "claims": [{"source": "a", "value": "1,500", "number": 1500,
    ...          "unit": "troops"}, {"source": "b", "value": "3,000", "number": 3000,
    ...          "unit": "troops"}]}
    >>> later = {"kind": "figure", "claims": [{"source": "b", "value": "10,000",
    ...          "number": 10000, "unit": "troops"}]}
    >>> gold = [{"label": "already there", "claims": [{"source": "a", "value": "1,500"},
    ...          {"source": "b", "value": "3,000"}]},
    ...         {"label": "expected", "claims": [{"source": "b", "value": "10,000"}]}]
    >>> comparable_grouping([there, later], gold)
    1.0
    >>> comparable_grouping([{"kind": "figure", "claims": there["claims"] + later["claims"]}],
    ...                     gold)  # all three as one disagreement: 1 pair of 3 right
    0.3333333333333333
    """
    found: list[tuple[str, tuple]] = []  # (gold label, predicted group) per found gold claim
    for group in gold_groups:
        for gold in group["claims"]:
            where = next((_predicted_group(c, conflict, i)
                          for i, conflict in enumerate(conflicts) for c in conflict["claims"]
                          if _matches(gold, c, conflict.get("kind") == "stance")), None)
            if where is not None:
                found.append((group["label"], where))
    pairs = [(a, b) for i, a in enumerate(found) for b in found[i + 1:]]
    if not pairs:
        return None
    return sum((a[0] == b[0]) == (a[1] == b[1]) for a, b in pairs) / len(pairs)


# -- refusals ----------------------------------------------------------------------------
def refusal_outcome(expected_answerable: bool, refused: bool) -> tuple[bool | None, bool | None]:
    """(correct_refusal, false_refusal): the first applies to unanswerable items only, the
    second to answerable items only; the other is None.

    >>> refusal_outcome(False, True), refusal_outcome(True, True), refusal_outcome(True, False)
    ((True, None), (None, True), (None, False))
    """
    if expected_answerable:
        return None, refused
    return refused, None


# -- timing and aggregation --------------------------------------------------------------
def tokens_per_second(tokens: int, first_s: float | None, last_s: float | None) -> float | None:
    """Decoding speed: tokens after the first over the time from first to last token.

    The first token's time (prompt processing) is time to first token, not decoding speed.

    >>> tokens_per_second(21, 1.0, 3.0)
    10.0
    >>> tokens_per_second(1, 1.0, 1.0) is None
    True
    """
    if tokens < 2 or first_s is None or last_s is None or last_s <= first_s:
        return None
    return (tokens - 1) / (last_s - first_s)


def percentile(values: Iterable[float | None], q: float) -> float | None:
    """The ``q``-th percentile (0-100) with linear interpolation, ignoring None.

    >>> percentile([1, 2, 3, 4], 50), percentile(range(0, 101, 10), 95), percentile([], 50)
    (2.5, 95.0, None)
    """
    data = sorted(v for v in values if v is not None and not math.isnan(v))
    if not data:
        return None
    pos = (len(data) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return data[low] + (data[high] - data[low]) * (pos - low)


def mean(values: Iterable[float | bool | None]) -> float | None:
    """Average of the values that apply (None skipped); None when none apply.

    >>> mean([1.0, None, True, 0]), mean([None])
    (0.6666666666666666, None)
    """
    data = [float(v) for v in values if v is not None]
    return sum(data) / len(data) if data else None
