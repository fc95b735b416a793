"""Does the evidence sentence a marker points to say what the answer sentence says?

A verbatim quote is not yet a supporting one: "... should not worry anyone [3]" may cite a
sentence about something else, and "North Korea is expected to gain support from Russia"
shares every content word with "North Korea is preparing to send 10,000 soldiers to Russia
... to support its war against Ukraine" while inverting it. :func:`check` reads each answer
sentence against each evidence sentence it cites (never the evidence as a whole):

- **words**: its names (capitalised spans), figures (:mod:`rag.support`) must all be in that
  sentence, and most of its other content words; words of the question are given, not
  content ("Park Sun-won relayed what the NIS told legislators" only has to show Park Sun-won);
- **relations**: who does what to whom must not be swapped (the first named entity of the
  clause before a shared word against the first after it, "support from X" and "by X"
  reversed), who said it must be who the evidence has saying it, who holds which post must
  be who the evidence gives it to (:mod:`rag.roles`; a post the question asks about is not
  given), stances (:mod:`rag.stances`), negation and direction words (rose/fell, confirmed/denied,
  approved/rejected) must agree.

    >>> ev = [Evidence(1, "a", "A", None, "North Korea sent troops to support Russia.", 0, 42, 1),
    ...       Evidence(2, "a", "A", None, "Peskov said the talks should not worry anyone.", 43, 89, 1)]
    >>> result = check("Russia supports North Korea [1]. The talks should not worry anyone [1].", ev)
    >>> [(s.supported, s.unsupported, s.move_to) for s in result.sentences]
    [((), (1,), None), ((), (1,), 2)]
    >>> apply(result)
    'The talks should not worry anyone [2].'

A marker that does not support its sentence moves to the one evidence sentence that clearly
does, or goes; a sentence left with none goes (the engine refuses an answer left with none).
An optional ``judge(sentence, evidence_text) -> bool | None`` (an entailment model) is asked
only where the words pass, or nearly pass; ``None`` from it keeps the lexical verdict.

What the lexical reading cannot catch, for an entailment judge (real sentences; each is
``JUDGE_CASES`` in ``tests/test_entailment.py``, where the lexical check passes them today):

- a relation the evidence never states between words it does hold: "Russia asked North Korea
  for 12,000 special forces troops" against "... North Korea has committed to sending 12,000
  special forces troops to support Russia" (one new word, "asked", of six);
- an agent without a patient: "Ukraine has denied allegations of arms transfers" against
  "Both Russia and North Korea have denied allegations of arms transfers ..." (Ukraine is
  named later in the evidence, so the name is there);
- opposites outside the small table of rose/fell, confirmed/denied, approved/rejected:
  "Brazil resumed interest payments" against "Brazil has suspended interest payments";
- a presupposition of the question restated in the answer (question words are given, not
  content): "expected to gain" is never checked against the evidence; and a false premise
  answered with words the evidence holds: "South Korea sent combat troops ... because North
  Korean forces were confirmed to be involved in combat" against "... providing weapons to
  Ukraine if North Korean forces are confirmed to be involved in combat" (half the words);
- a negation far from the word it negates when the other side has a negation of its own, and
  evidence with both directions for one subject ("sales rose in March and fell in April").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from rag import roles, stances, support
from rag.bm25 import _STOPWORDS
from rag.citations import MARKER, answer_sentences, attribute, cited_numbers
from rag.figures import said_at, speaker
from rag.types import Evidence

Judge = Callable[[str, str], "bool | None"]
THRESHOLD = 0.5  # share of the sentence's new content words its evidence must hold
CLEAR_MARGIN = 0.2  # a move needs one candidate this far ahead of the next
MOVE_WORDS = 2  # ... and at least this many new content words to go by
MOVE_SHARE = 0.75  # a marker moves only to evidence holding 3/4 of the sentence's new words

# -- words -----------------------------------------------------------------------------------
_TOKEN = re.compile(r"[^\W\d_]+(?:[’'-][^\W\d_]+)*|\d[\d,.]*\d|\d|[,;:()]")
_FUNCTION = _STOPWORDS | set(
    "should against anyone isn't aren't wasn't weren't don't doesn't didn't hasn't haven't "
    "must might being its it's via per within without upon onto among while yet still just "
    "been according however thus go goes going went gone get gets got make makes made take "
    "takes took come comes came yes".split())
_NOT_NAME = _FUNCTION | {"mr", "mrs", "ms", "dr", "if", "after", "before", "since", "because"}
_PREPOSITIONS = set("to from by with in against of for at on into toward towards than about "
                    "regarding via over under between among".split())
_BE = {"is", "are", "was", "were", "be", "been", "being"}
_DEMONYM = re.compile(r"(?:an|ese|ish)$")  # "Korean", "Japanese", "British": a nationality
_DATELINE = re.compile(r"\s*[A-Z][A-Z.' ]*[A-Z.],(?:\s+[A-Z][A-Za-z.]*,)*\s+[A-Z][a-z]+\.?"
                       r"\s+\d{1,3}\s+-\s+")
_STANCE_ACT = re.compile(r"confirm|verif|acknowledg|admit|den[iy]|dismiss|reject|refut", re.I)
_DETERMINERS = {"a", "an", "the", "its", "his", "her", "their", "our", "this", "these", "those"}
_CLAUSE_WORDS = {"that", "which", "who", "whom", "whereas", "while", "but", "although",
                 "though"}
_NEGATION = re.compile(r"^(?:not|never|no|neither|nor|cannot|without|\w+n[’']t)$")
_IRREGULAR = {"sent": "send", "said": "say", "told": "tell", "rose": "rise", "fell": "fall",
              "deny": "deni", "won": "win", "lost": "lose", "held": "hold", "paid": "pay",
              "sold": "sell", "bought": "buy", "grew": "grow", "led": "lead", "met": "meet",
              # one word for a body of soldiers, as rag.figures counts them ("12,000 troops"
              # restates "12,000 soldiers")
              "soldier": "troop", "soldiers": "troop", "troops": "troop", "forces": "troop",
              "personnel": "troop", "servicemen": "troop",
              # newswire abbreviations are their words ("100 mln dlrs" says "$100 million")
              "mln": "million", "bln": "billion", "dlrs": "dollar", "dlr": "dollar",
              "dollars": "dollar", "pct": "percent", "cts": "cent", "shr": "share",
              "qtr": "quarter", "yr": "year", "revs": "revenue", "stg": "sterling",
              # and so are abbreviated months ("Oct. 18" is October 18)
              "jan": "january", "feb": "february", "aug": "august", "sep": "september",
              "sept": "september", "oct": "october", "nov": "november", "dec": "december"}
# Capitals stand for their countries: "Pyongyang" is supported by "North Korea".
_ALIASES = {"us": "united states", "u.s": "united states", "usa": "united states",
            "pyongyang": "north korea", "seoul": "south korea", "moscow": "russia",
            "kremlin": "russia", "kyiv": "ukraine", "kiev": "ukraine", "washington": "united states",
            "beijing": "china", "tokyo": "japan", "dprk": "north korea"}
_CORPORATE = {"inc", "corp", "co", "ltd", "plc", "llc", "nv", "sa", "ag"}
# Words of opposite sense: the sentence's side must be the evidence's side.
_POLAR = [
    ("rose", r"rose|rises?|risen|rising|increas\w*|grew|grows?|growing|climb\w*|jump\w*|"
             r"surg\w*|soar\w*|higher|gain(?:ed|s)?|upward",
     "fell", r"fell|falls?|fallen|falling|declin\w*|decreas\w*|drop\w*|lower\w*|slip\w*|"
             r"slump\w*|plung\w*|shr[ai]nk\w*|losses|loss|lost|downward"),
    ("confirmed", r"confirm\w*|acknowledg\w*|admit\w*|verif\w*",
     "denied", r"den(?:y|ied|ies|ial)\w*|dismiss\w*|reject\w*|refut\w*|unfounded"),
    ("approved", r"accept\w*|approv\w*|agreed|backed|endors\w*|support\w*",
     "rejected", r"reject\w*|oppos\w*|refus\w*|veto\w*|block\w*"),
]
_POLAR_RE = [(a, re.compile(f"^(?:{pa})$"), b, re.compile(f"^(?:{pb})$"))
             for a, pa, b, pb in _POLAR]


def stem(word: str) -> str:
    """A crude, shared stem: ``deployed``/``deployment`` -> ``deplo``, ``Russian`` -> ``russi``.

    >>> [stem(w) for w in ("citing", "cited", "denies", "denied", "Korea’s", "troops", "sent")]
    ['cit', 'cit', 'deni', 'deni', 'korea', 'troop', 'send']
    """
    w = re.sub(r"[’']s$", "", word.lower())
    w = _IRREGULAR.get(w, w)
    if re.search(r"i(?:es|ed)$", w) and len(w) > 4:
        w = w[:-3] + "i"
    elif w.endswith("ing") and len(w) > 5:
        w = w[:-3]
    elif w.endswith("ed") and len(w) > 4:
        w = w[:-2]
    elif w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        w = w[:-1]
    return w[:5]


@dataclass(frozen=True)
class _Tok:
    text: str
    low: str
    stem: str
    cap: bool
    start: int


@dataclass(frozen=True)
class _Entity:
    first: int  # token indexes [first, last)
    last: int
    words: frozenset[str]  # stems, corporate suffixes left out
    text: str
    initial: bool = False  # one capitalised word opening the text: maybe not a name


def _tokens(text: str) -> list[_Tok]:
    out = []
    for m in _TOKEN.finditer(text):
        t = m.group()
        out.append(_Tok(t, t.lower(), stem(t) if t[0].isalpha() else t, t[0].isupper(),
                        m.start()))
    return out


def _entities(toks: list[_Tok]) -> list[_Entity]:
    """Runs of capitalised words ("National Intelligence Service", "Ministry of Defense").

    A single capitalised word opening the sentence ("Troops", "Peskov") may be no name: it
    takes part in who-does-what, but its presence is checked as a content word's.
    """
    out: list[_Entity] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if not (t.cap and t.text[0].isalpha()) or t.low in _NOT_NAME:
            i += 1
            continue
        j = i + 1
        while j < len(toks) and (
                (toks[j].cap and toks[j].text[0].isalpha() and toks[j].low not in _NOT_NAME)
                or (toks[j].low == "of" and j + 1 < len(toks) and toks[j + 1].cap)):
            j += 1
        words = frozenset(x.stem for x in toks[i:j] if x.low != "of"
                          and x.low.strip(".") not in _CORPORATE)
        aliased = _alias(words)
        # "350 million U.S. dollars" restates "350 mln dlrs": the dollar's country is its unit
        currency = j < len(toks) and toks[j].stem == _DOLLAR and aliased == _ALIAS_STEMS["us"]
        if words and not currency:
            out.append(_Entity(i, j, aliased, " ".join(x.text for x in toks[i:j]),
                               initial=i == 0 and j == 1))
        i = j
    return out


_ALIAS_STEMS = {stem(name): frozenset(stem(w) for w in country.split())
                for name, country in _ALIASES.items()}
_ALIAS_STEMS[frozenset("us")] = _ALIAS_STEMS["us"]  # "U.S." is read as the words U and S
_DOLLAR = stem("dollar")


def _alias(words: frozenset[str]) -> frozenset[str]:
    """A capital stands for its country inside a longer name too: "Seoul's National Security
    Council" is "South Korea's"; "U.S." is the United States.

    >>> sorted(_alias(frozenset({"seoul", "natio", "counc"})))
    ['counc', 'korea', 'natio', 'south']
    """
    if words in _ALIAS_STEMS:
        return _ALIAS_STEMS[words]
    out = set()
    for w in words:
        out |= _ALIAS_STEMS.get(w, {w})
    return frozenset(out)


_HEADS = set("service council ministry agency office department government committee "
             "commission force army union party bank group company state states nations "
             "minister president secretary".split())


def _initials(words: list[str]) -> str:
    return "".join(w[0] for w in words if w[:1].isupper()).lower()


def _name_in(ent: _Entity, toks: list[_Tok], stems: set[str], ents: list[_Entity]) -> bool:
    """A name is in the evidence: all its words; or its last word when that is a person's or
    place's own name ("Zelenskyy" for "Ukrainian President Volodymyr Zelenskyy"); or as an
    acronym either way ("NIS" for "National Intelligence Service")."""
    if ent.words <= stems:
        return True
    words = [t.text for t in toks[ent.first:ent.last] if t.low != "of"]
    head = stem(words[-1])
    if head not in {stem(h) for h in _HEADS} and head in stems and len(words) > 1:
        return True
    mine = _initials(words)
    theirs = {stem(e.text) for e in ents} | {_initials(e.text.split()) for e in ents}
    return (len(mine) >= 2 and mine in theirs) or (
        len(words) == 1 and words[0].isupper() and words[0].lower() in theirs)


@lru_cache(maxsize=64)
def _asked(question: str) -> frozenset[str]:
    """The question's words, and its names as their countries ("Seoul" gives South Korea);
    read once per question (every sentence pair of an answer asks)."""
    toks = _tokens(question)
    return frozenset({t.stem for t in toks} | {w for e in _entities(toks) for w in e.words})


def _same(a: frozenset[str], b: frozenset[str]) -> bool:
    return bool(a) and bool(b) and (a <= b or b <= a)


def _content(toks: list[_Tok]) -> list[_Tok]:
    return [t for t in toks if t.text[0].isalpha() and t.low not in _FUNCTION
            and len(t.low) > 1]


# -- relations -------------------------------------------------------------------------------
def _is_boundary(toks: list[_Tok], k: int, said: set[int]) -> bool:
    return toks[k].text in ",;:()" or toks[k].low in _CLAUSE_WORDS or k in said


def _with_coordinated(e: _Entity, ents: list[_Entity], toks: list[_Tok]) -> frozenset[str]:
    """An agent with the ones joined to it by "and": in "Both Russia and North Korea have
    denied", North Korea denies as much as Russia does."""
    words, last = set(e.words), e.last
    for other in ents:
        if other.first == last + 1 and toks[last].low == "and":
            words |= other.words
            last = other.last
    return frozenset(words)


def _roles(toks: list[_Tok], ents: list[_Entity], i: int, said: set[int]
           ) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    """(agent, patient) of the word at token ``i``: the clause's first entity before it not
    governed by a preposition, and the first entity after it; "X from/by Y" swaps them."""
    def agent_before(k: int) -> frozenset[str] | None:
        lo = k
        while lo > 0 and not _is_boundary(toks, lo - 1, said):
            lo -= 1
        inside = [e for e in ents if lo <= e.first and e.last <= k]
        owners = [e for e in inside if re.search(r"[’']s$", toks[e.last - 1].low)]
        if owners:  # "North Korea’s deployment of troops to support": North Korea supports
            return owners[-1].words
        for e in inside:
            if _DEMONYM.search(toks[e.last - 1].low):
                continue  # "North Korean combat strategies": an adjective, not who does it
            if e.first == 0 or toks[e.first - 1].low not in _PREPOSITIONS:
                return _with_coordinated(e, inside, toks)
        if lo > 0 and toks[lo - 1].low in ("which", "who"):  # "BP, which also owns": BP
            stop = lo - 1 - (lo >= 2 and toks[lo - 2].text == ",")
            last = [e for e in ents if e.last <= stop and e.last >= stop - 1]
            return last[-1].words if last else None
        if lo > 0 and (lo - 1 in said or (toks[lo - 1].low == "that" and lo - 2 in said)):
            return agent_before(lo - 2 if toks[lo - 1].low == "that" else lo - 1)
        return None

    def first_after(k: int) -> frozenset[str] | None:
        for e in ents:
            if e.first > k:
                stops = [t for t in range(k + 1, e.first)
                         if toks[t].text == ";" or t in said or toks[t].low in _CLAUSE_WORDS]
                return None if stops else e.words
        return None

    before, after = agent_before(i), first_after(i)
    owner = next((e.words for e in ents if e.last == i and re.search(r"[’']s$", toks[i - 1].low)),
                 None)
    if owner is not None:  # "South Korea's assertions": South Korea asserts
        return owner, after
    if i + 1 < len(toks) and toks[i + 1].low in ("by", "from"):
        return after, before
    if i > 0 and toks[i - 1].low in _BE and toks[i].low.endswith("ed"):
        return None, before  # "troops are expected to arrive": who expects is not said
    return before, after


def _said_tokens(text: str, toks: list[_Tok]) -> set[int]:
    ends = set(said_at(text))
    return {k for k, t in enumerate(toks) if t.start + len(t.text) in ends}


def _modifier(toks: list[_Tok], k: int) -> bool:
    """A word between a determiner and its noun ("its new telemarketing subsidiary"): it
    says what the noun is, not what anyone does, so it has no agent to swap."""
    def plain(j: int) -> bool:  # a lower-case content word
        return (toks[j].text[0].isalpha() and toks[j].text[0].islower()
                and toks[j].low not in _FUNCTION)
    if k + 1 >= len(toks) or not plain(k + 1):
        return False
    j = k - 1
    while j >= 0 and k - j <= 2 and plain(j):
        j -= 1
    return j >= 0 and toks[j].low in _DETERMINERS


def _without_dateline(text: str) -> str:
    """The text with a newswire dateline ("MEMPHIS, Tenn., March 16 - ") blanked out (same
    length, so offsets hold): its place and month are not the first clause's subject.

    >>> _without_dateline("NEW YORK, April 9 - Brod said it named a president.").lstrip()
    'Brod said it named a president.'
    """
    m = _DATELINE.match(text)
    return " " * m.end() + text[m.end():] if m else text


def _relations(text: str) -> tuple[list[_Tok], list[_Entity], dict[str, list[tuple]]]:
    text = _without_dateline(text)
    toks = _tokens(text)
    ents = _entities(toks)
    said = _said_tokens(text, toks)
    inside = {k for e in ents for k in range(e.first, e.last)}
    rel: dict[str, list[tuple]] = {}
    for k, t in enumerate(toks):
        if (k in inside or k in said or not t.text[0].isalpha() or t.low in _FUNCTION
                or _modifier(toks, k)):
            continue
        rel.setdefault(t.stem, []).append(_roles(toks, ents, k, said))
    return toks, ents, rel


def _swapped(sent_rel: dict[str, list[tuple]], ev_rel: dict[str, list[tuple]]) -> str | None:
    for word, pairs in sent_rel.items():
        theirs = ev_rel.get(word, [])
        for agent, patient in pairs:
            if not agent or not patient or _same(agent, patient) or not theirs:
                continue
            if any(_same(a, agent) for a, _ in theirs if a):
                continue
            if any(a and _same(a, patient) for a, _ in theirs):
                return f"swaps who does what around “{word}”"
    return None


def _speakers(text: str) -> list[tuple[frozenset[str], frozenset[str]]]:
    """Who the text has saying something, by name: (stems, acronyms) per speaker."""
    out = []
    for end in said_at(text):
        who = speaker(text, end + 1)
        if who:
            names = _entities(_tokens("said " + who))
            stems = frozenset(w for e in names for w in e.words)
            acronyms = frozenset(a for e in names for a in (
                _initials(e.text.split()), e.text.lower()) if len(a) >= 2)
            if stems:
                out.append((stems, acronyms))
    return out


def _speaker_mismatch(sentence: str, ev_text: str) -> str | None:
    """The sentence's speaker is not the evidence's, and is named there, if at all, only in
    what is said ("North Korea warned ..." for "Kim Tae-hyo warned ... if North Korea ...")."""
    ours, theirs = _speakers(sentence), _speakers(ev_text)
    ends = said_at(ev_text)
    head = {t.stem for t in _tokens(ev_text[:ends[0]])} if ends else set()
    for stems, acronyms in ours:
        if theirs and not any(stems & s2 or acronyms & a2 for s2, a2 in theirs) and not (
                stems & head):
            return "the evidence has someone else saying it"
    return None


def _window(toks: list[_Tok], k: int, size: int = 4) -> set[str]:
    return {t.stem for t in _content(toks[max(0, k - size):k])}


def _polarity_clash(s_toks: list[_Tok], e_toks: list[_Tok]) -> str | None:
    for a, pa, b, pb in _POLAR_RE:
        for side, pat, other, opp in ((a, pa, b, pb), (b, pb, a, pa)):
            mine = [k for k, t in enumerate(s_toks) if pat.match(t.low)]
            if not mine:
                continue
            same = [k for k, t in enumerate(e_toks) if pat.match(t.low)]
            against = [k for k, t in enumerate(e_toks) if opp.match(t.low)]
            if not against:
                continue
            if not same:
                return f"says {side} where the evidence says {other}"
            for k in mine:
                near = _window(s_toks, k)
                if (any(near & _window(e_toks, j) for j in against)
                        and not any(near & _window(e_toks, j) for j in same)):
                    return f"says {side} where the evidence says {other}"
    return None


_BETWEEN = {"yet", "been", "be", "able", "to", "even", "ever", "always", "really", "officially",
            "independently", "publicly", "directly"}


def _negated(toks: list[_Tok], k: int) -> bool:
    """Token ``k`` is what a negation negates: "not worry", "isn't directed", "not yet able
    to confirm"; not "not combat troops", where "not" negates "combat"."""
    j = k - 1
    while j >= 0 and toks[j].low in _BETWEEN:
        j -= 1
    return j >= 0 and bool(_NEGATION.match(toks[j].low))


def _negation_clash(s_toks: list[_Tok], e_toks: list[_Tok]) -> str | None:
    s_neg = any(_NEGATION.match(t.low) for t in s_toks)
    e_neg = any(_NEGATION.match(t.low) for t in e_toks)
    if s_neg == e_neg:
        return None
    shared = {t.stem for t in _content(s_toks)} & {t.stem for t in _content(e_toks)}
    toks = s_toks if s_neg else e_toks
    for k, t in enumerate(toks):
        if t.stem in shared and _negated(toks, k):
            return ("negates what the evidence affirms" if s_neg
                    else "affirms what the evidence negates")
    return None


def _stance_clash(sentence: str, ev_text: str) -> str | None:
    """A stance the sentence states (confirmed, denied...) that the evidence does not: another
    one, or none at all ("the United States has confirmed the deployment" against "the
    presidential office confirmed that allies have been monitoring troop movements")."""
    ours = stances.stances_in(sentence)
    theirs = {s.stance for s in stances.stances_in(ev_text)}
    extra = {s.stance for s in ours if s.stance not in theirs}
    # With no stance in the evidence, only an act someone is said to have done counts
    # ("has confirmed", "denied"); "there is evidence" may sum up a report of the facts.
    acts = {s.stance for s in ours if s.stance in extra and _STANCE_ACT.search(s.phrase)}
    if extra and (theirs or acts):
        return (f"says {', '.join(sorted(extra if theirs else acts))} where the evidence says "
                f"{', '.join(sorted(theirs)) or 'nothing of the kind'}")
    return None


# -- verdicts --------------------------------------------------------------------------------
@dataclass(frozen=True)
class PairVerdict:
    """One answer sentence read against one evidence sentence."""

    n: int
    supported: bool
    share: float  # of the sentence's new content words, how many the evidence holds
    words: int = 0  # how many new content words the sentence has
    why: str = ""  # what is missing or wrong, empty when supported
    hard: bool = False  # a name, figure or relation failed: no judge can overrule it
    judged: bool | None = None  # the judge's answer, when it was asked


# Month and day names are dates, not who or where: a date the question gives stays given.
_CALENDAR = frozenset(stem(w) for w in (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday "
    "friday saturday sunday").split())


def verdict(sentence: str, ev: Evidence, question: str = "",
            judge: Judge | None = None, context: Sequence[Evidence] = ()) -> PairVerdict:
    """Whether ``ev`` alone supports ``sentence`` (markers ignored).

    A name the question gives need not be in ``ev``, but it must be in some sentence of
    ``context`` (all the model was shown): "Kim Jong Un said ..." is not supported by what
    "Kim Jong Gyu" said. (Requiring it in ``ev`` itself also caught "Japan sent troops" for a
    question assuming it, but refused 9 more answerable questions of 56: measured, dropped.)
    """
    text = MARKER.sub("", sentence)
    s_toks, s_ents, s_rel = _relations(text)
    e_toks, e_ents, e_rel = _relations(ev.text)
    e_stems = {t.stem for t in e_toks} | {w for e in e_ents for w in e.words}
    asked = _asked(question)
    problems: list[str] = []
    missing_names = [e.text for e in s_ents if not e.initial and not e.words <= asked
                     and not e.words <= _CALENDAR and not _name_in(e, s_toks, e_stems, e_ents)]
    if question and context:
        # A name the question gives need not be in the cited sentence (the answer names what
        # was asked about), but it must be in some sentence the model was shown: "Kim Jong Un
        # said ..." when only Kim Jong Gyu speaks restates a premise no report states.
        c_toks = [t for c in context for t in _tokens(c.text)]
        c_ents = [x for c in context for x in _entities(_tokens(c.text))]
        c_stems = {t.stem for t in c_toks} | {w for x in c_ents for w in x.words}
        q_names = {x.text for x in _entities(_tokens(question)) if not x.initial}
        missing_names += [e.text for e in s_ents if e.words <= asked
                          and (not e.initial or e.text in q_names) and not e.words <= _CALENDAR
                          and not _name_in(e, s_toks, c_stems, c_ents)]
    # the question's figures are given, and so is the year of the report's own date
    figures = support.unsupported(text, [ev.text, question, (ev.date or "")[:4]])
    if missing_names or figures:
        problems.append("lacks " + ", ".join(dict.fromkeys(missing_names + figures)))
    for clash in (_swapped(s_rel, e_rel), _speaker_mismatch(text, ev.text),
                  roles.role_clash(text, ev.text),
                  _stance_clash(text, ev.text), _polarity_clash(s_toks, e_toks),
                  _negation_clash(s_toks, e_toks)):
        if clash:
            problems.append(clash)
    in_names = {k for e in s_ents if not e.initial for k in range(e.first, e.last)}
    # content units: each name, and each other content word
    units = [(e.text, e.words) for e in s_ents if not e.initial] + [
        (t.text, frozenset([t.stem])) for k, t in enumerate(s_toks)
        if k not in in_names and t in _content(s_toks)]
    new = [u for u in units if not u[1] <= asked] or units
    held = [u for u in new if u[1] <= e_stems]
    share = len(held) / len(new) if new else 1.0
    if problems:
        return PairVerdict(ev.n, False, share, len(new), "; ".join(problems), hard=True)
    ok = share >= THRESHOLD
    why = "" if ok else "lacks " + ", ".join(dict.fromkeys(text for text, words in new
                                                           if not words <= e_stems))
    if judge is not None and (ok or share >= THRESHOLD / 2):
        said = judge(text.strip(), ev.text)
        if said is not None:
            return PairVerdict(ev.n, said, share, len(new),
                               "" if said else "the judge found no support", judged=said)
    return PairVerdict(ev.n, ok, share, len(new), why)


@dataclass(frozen=True)
class SentenceSupport:
    """An answer sentence, which of its markers support it, and where a wrong one should go."""

    sentence: str
    cited: tuple[int, ...]  # its markers, or the evidence it restates when it has none
    supported: tuple[int, ...]
    unsupported: tuple[int, ...]
    move_to: int | None = None  # the one evidence sentence that clearly supports it instead
    why: str = ""  # per unsupported marker: "[3] lacks worry, anyone"
    marked: bool = True  # False: no markers; ``cited`` is what citations.attribute found
    verdicts: tuple[PairVerdict, ...] = field(default=(), repr=False)
    lead_in: bool = False  # "... are:" opening a list whose next line is kept
    also: int | None = None  # a second sentence of the cited report that completes its support
    body: str | None = None  # the sentence without a source it named wrongly (see _unattributed)

    @property
    def kept(self) -> bool:
        return bool(self.supported) or self.move_to is not None or self.lead_in

    def text(self) -> str:
        """The sentence with unsupported markers removed and a moved one in their place."""
        sentence = self.body or self.sentence
        if not self.marked:
            if self.move_to is not None and not self.supported:
                return _append_marker(sentence, self.move_to)
            return sentence
        keep = set(self.supported)
        moved = {n: self.move_to for n in self.unsupported} if self.move_to else {}

        def fix(match: re.Match) -> str:
            nums = [moved.get(n, n) for n in cited_numbers(match.group())
                    if n in keep or n in moved]
            if self.also is not None and self.cited[0] in nums:  # its neighbour joins it
                nums.append(self.also)
            return "".join(f"[{n}]" for n in dict.fromkeys(nums)) or "\x00"
        out = re.sub(r"(\[\d+\])\1+", r"\1", MARKER.sub(fix, sentence))
        return re.sub(r"[ \t]*\x00", "", out).strip()


@dataclass(frozen=True)
class Support:
    """The support check of a whole answer, sentence by sentence."""

    answer: str
    sentences: tuple[SentenceSupport, ...]

    @property
    def kept(self) -> list[SentenceSupport]:
        return [s for s in self.sentences if s.kept]

    @property
    def changed(self) -> bool:
        """Whether ``apply`` rewrites the answer: a marker dropped or moved, a sentence gone,
        or a sentence without markers given the one that supports it."""
        return any(s.unsupported or not s.kept or s.text() != s.sentence
                   for s in self.sentences)

    def reason(self) -> str:
        """Why nothing is left (the refusal reason)."""
        first = next((s for s in self.sentences if s.cited), None)
        if first is None:
            return "the answer has no sentence to check"
        quoted = re.sub(r"\s+([.,;!?])", r"\1", MARKER.sub("", first.sentence)).strip()
        quoted = quoted if len(quoted) <= 90 else quoted[:87] + "..."
        return (f"no answer sentence is supported by the evidence it cites: “{quoted}” "
                f"({first.why or 'cites no evidence'})")


def _append_marker(sentence: str, n: int) -> str:
    body = sentence.rstrip()
    if body[-1:] in ".!?":
        return f"{body[:-1].rstrip()} [{n}]{body[-1]}"
    return f"{body} [{n}]"


_GROUP = re.compile(r"(?:\s*" + MARKER.pattern + r")+")


def segments(sentence: str) -> list[tuple[str, list[int]]]:
    """The stretch of the sentence each run of markers closes, with its numbers: each marker
    vouches for what it follows, not for what another report is cited for.

    >>> segments("The NIS said 12,000 [1] and Zelensky said 10,000 [2][3].")
    [('The NIS said 12,000', [1]), (' and Zelensky said 10,000', [2, 3])]
    """
    out: list[tuple[str, list[int]]] = []
    at = 0
    for m in _GROUP.finditer(sentence):
        out.append((sentence[at:m.start()], cited_numbers(m.group())))
        at = m.end()
    tail = sentence[at:]
    if out and re.search(r"\w{3}", tail):  # "... [1] and more words." belongs to the last run
        out[-1] = (out[-1][0] + " " + tail, out[-1][1])
    return out


def _joint(part: str, ev: Evidence, group: list[Evidence], question: str) -> bool:
    """``ev`` supports ``part`` together with the rest of its run of markers: the run's
    sentences together support it, and ``ev`` holds some of its content of its own."""
    if len(group) < 2:
        return False
    both = Evidence(ev.n, ev.source, ev.title, ev.publisher, " ".join(g.text for g in group),
                    ev.start, ev.end, ev.score)
    if not verdict(part, both, question).supported:
        return False
    own = {num.key for num in support.numbers_in(part)} & support.stated([ev.text])
    return bool(own) or verdict(part, ev, question).share > 0


def check_sentence(sentence: str, evidence: Sequence[Evidence], question: str = "",
                   judge: Judge | None = None) -> SentenceSupport:
    """Which of the sentence's markers support it, and the one evidence to move to if none.

    Each marker is read against the stretch of the sentence it closes (:func:`segments`);
    markers cited together ("12,000 and 10,000 [1][2]") may support it together."""
    by_n = {ev.n: ev for ev in evidence}
    cited = tuple(cited_numbers(sentence))
    marked = bool(cited)
    parts = segments(sentence) if marked else []
    if len(parts) <= 1 or any(not re.search(r"[^\W\d_]{3}", p) for p, _ in parts):
        parts = [(sentence, list(cited))]
    if not marked:
        found = attribute(sentence, list(evidence), given=question)
        cited = (found.n,) if found is not None else ()
        parts = [(sentence, list(cited))]
    verdicts: list[PairVerdict] = []
    for part, nums in parts:
        group = [by_n[n] for n in nums if n in by_n]
        for n in nums:
            if n not in by_n:
                verdicts.append(PairVerdict(n, False, 0.0, 0, "names no usable evidence", True))
                continue
            v = verdict(part, by_n[n], question, judge, evidence)
            if not v.supported and _joint(part, by_n[n], group, question):
                v = PairVerdict(n, True, v.share, v.words, "", False, v.judged)
            verdicts.append(v)
    good = tuple(dict.fromkeys(v.n for v in verdicts if v.supported))
    bad = tuple(dict.fromkeys(v.n for v in verdicts if not v.supported and v.n not in good))
    why = "; ".join(f"[{v.n}] {v.why}" for v in verdicts if v.n in bad)
    move = _move_to(sentence, evidence, cited, question, judge) \
        if not good and len(parts) == 1 else None
    also = None
    if not good and move is None and len(parts) == 1 and len(cited) == 1 and cited[0] in by_n:
        also = _completing(sentence, by_n[cited[0]], evidence, question)
        if also is not None:
            good, bad, why = cited, (), ""
    if not good and move is None and also is None:
        bare = _unattributed(sentence, question)
        if bare is not None:
            again = check_sentence(bare, evidence, question, judge)
            if again.kept and again.body is None:
                return replace(again, sentence=sentence, body=bare)
    return SentenceSupport(sentence, cited, good, bad, move, why, marked, tuple(verdicts),
                           also=also)


def _move_to(sentence: str, evidence: Sequence[Evidence], cited: tuple[int, ...],
             question: str, judge: Judge | None) -> int | None:
    """The one evidence sentence that clearly supports ``sentence`` (none of its markers
    does): two or more things of its own to go by (content words, and figures, which a
    supporting sentence must state), and no close second. The judge reads only that one."""
    others = [verdict(sentence, ev, question, None, evidence) for ev in evidence
              if ev.n not in cited]
    asked = _asked(question)
    figures = sum(1 for t in _tokens(MARKER.sub("", sentence))
                  if t.text[0].isdigit() and t.stem not in asked)
    passing = sorted((v for v in others if v.supported and v.words + figures >= MOVE_WORDS
                      and v.share >= MOVE_SHARE), key=lambda v: -v.share)
    if not (len(passing) == 1 or (len(passing) > 1
                                  and passing[0].share - passing[1].share >= CLEAR_MARGIN)):
        return None
    target = next(ev for ev in evidence if ev.n == passing[0].n)
    if judge is not None and not verdict(sentence, target, question, judge, evidence).supported:
        return None
    return target.n


_ACCORDING = re.compile(r"^\s*according to ([^,]{2,80}),\s*(\w)(.*)$|^(.*\w)[,\s]+according to "
                        r"([^,]{2,80}?)\s*((?:\s*" + MARKER.pattern + r")*[.!?]?)\s*$",
                        re.I | re.S)


def _unattributed(sentence: str, question: str) -> str | None:
    """The sentence without the source it opens or closes with ("According to Ukrainian
    President Volodymyr Zelenskyy, six North Korean individuals were killed ... [2]"), for a
    sentence its evidence does not support as attributed; None when it names none, or a
    source the question asks about (then who said it is the answer, and stays checked).

    >>> _unattributed("According to NATO, troops arrived [2].", "Did troops arrive?")
    'Troops arrived [2].'
    >>> _unattributed("Troops arrived, according to NATO [2].", "Did troops arrive?")
    'Troops arrived [2].'
    >>> _unattributed("According to NATO, troops arrived [2].", "What did NATO say?") is None
    True
    """
    m = _ACCORDING.match(sentence)
    if m is None:
        return None
    source = m.group(1) if m.group(1) is not None else m.group(5)
    toks = _tokens(source)
    names = [e for e in _entities(toks) if not e.words <= _CALENDAR]
    # its own words: not a title ("President") or a nationality ("Ukrainian")
    own = {t.stem for e in names for t in toks[e.first:e.last]
           if t.low not in _HEADS and not _DEMONYM.search(t.low)}
    if not names or own & _asked(question):
        return None
    if m.group(1) is not None:
        return m.group(2).upper() + m.group(3)
    tail = m.group(6).strip()  # its markers and full stop
    return f"{m.group(4)} {tail}" if tail.startswith("[") else m.group(4) + tail


def _completing(sentence: str, ev: Evidence, evidence: Sequence[Evidence],
                question: str) -> int | None:
    """The sentence next to ``ev`` in its report that, read with it, supports what ``ev``
    alone does not ("Korean was spoken in the videos that surfaced on October 18 [2]": the
    videos are [2], the language is [3]); both must hold some of it, and the neighbour most
    of what the sentence adds to the question: a marker one sentence off, not a name glued
    on from a neighbour ("the U.S. government, specifically the Department of State, ...")."""
    found = [o.n for o in evidence if o.n != ev.n and o.source == ev.source
             and (0 <= o.start - ev.end <= 3 or 0 <= ev.start - o.end <= 3)
             and _joint(sentence, o, [ev, o], question) and _joint(sentence, ev, [ev, o], question)
             and verdict(sentence, o, question).share >= THRESHOLD]
    return found[0] if len(found) == 1 else None


def check(answer: str, evidence: Sequence[Evidence], question: str = "",
          judge: Judge | None = None) -> Support:
    """Every sentence of ``answer`` read against the evidence it cites (see module doc)."""
    checked = [check_sentence(s, evidence, question, judge) for s in answer_sentences(answer)]
    for i in range(len(checked) - 2, -1, -1):  # a list's lead-in stays with its kept items
        s = checked[i]
        if not s.marked and s.sentence.rstrip().endswith(":") and checked[i + 1].kept:
            checked[i] = replace(s, lead_in=True)
    return Support(answer, tuple(checked))


def apply(result: Support) -> str:
    """The answer with wrong markers moved or removed and unsupported sentences dropped;
    a paragraph break between two kept sentences stays."""
    text, pieces, at, gap = result.answer, [], 0, ""
    for s in result.sentences:
        pos = text.find(s.sentence, at)
        if pos < 0:  # a sentence answer_sentences rebuilt: fall back to plain joining
            return " ".join(x.text() for x in result.kept)
        gap += text[at:pos]
        at = pos + len(s.sentence)
        if s.kept:
            if pieces:
                pieces.append("\n\n" if "\n\n" in gap else "\n" if "\n" in gap else " ")
            pieces.append(s.text())
            gap = ""
    return "".join(pieces).strip()
