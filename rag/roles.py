"""Who holds which post: "Frank Rubury was elected president and chief operating officer".

Newswire is full of management changes, and a sentence often names two people and two posts
("George Howell was elected vice chairman, succeeding Sid Weiss who was named chief executive
officer"). Shared words are not enough to support "George Howell was named chief executive
officer": the post must be the one the evidence gives that person. :func:`holders` reads the
(person, posts) pairs a sentence states; :func:`role_clash` compares an answer sentence's
pairs with an evidence sentence's:

    >>> ev = ("Wurlitzer Co said George Howell was elected vice chairman, succeeding Sid "
    ...       "Weiss who was named chief executive officer.")
    >>> [(h.surname, sorted(h.posts)) for h in holders(ev)]
    [('howell', ['vice chairman']), ('weiss', ['chief executive officer'])]
    >>> role_clash("George Howell was named chief executive officer.", ev)
    'has Howell as chief executive officer where the evidence has Weiss'
    >>> role_clash("Sid Weiss was named chief executive officer.", ev) is None
    True

A post given as a verb is a claim too ("will chair" makes a chairman):

    >>> ev = ("Primary Industry Minister John Kerin said the Industries Assistance Commission "
    ...       "will hold a 12-month inquiry into the wheat industry.")
    >>> role_clash("John Kerin will chair the inquiry into the wheat industry.", ev)
    'the evidence does not make Kerin chairman'
    >>> role_clash("John Kerin will chair the inquiry.",
    ...            "John Kerin will chair the inquiry, the ministry said.") is None
    True

A post the question asks about is not given by the question: "Who will be president?"
answered "George Howell was elected president" needs a sentence that makes Howell president.
Titles in answers ("President Zelensky", "Peskov, the Kremlin spokesman,") are not checked:
they name, they do not claim; only posts given with a verb are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ATOM = (r"(?:(?:senior|executive|first)\s+)?(?:vice\s+)?(?:president|chairman|chairwoman|"
         r"chief\s+(?:executive|operating|financial)(?:\s+officer)?|treasurer|"
         r"(?:managing\s+)?director|general\s+manager|secretary|spokes(?:man|woman|person))")
_POSTS = rf"{_ATOM}(?:\s*(?:,\s*and|,|and)\s+{_ATOM})*"
_NAME = r"[A-Z][\w'\-]*\.?(?:\s+(?:[A-Z][\w'\-]*\.?|de|van|von|\.))*"
_AGE = r"(?:,\s*\d{2},)?"
_ARTICLE = (r"(?:(?:the|its|a|an|their|his|her)\s+)?(?:new\s+)?"
            r"(?:[A-Z][\w&.\-]*(?:\s+[A-Z][\w&.\-]*)*['’]s\s+)?")  # "Wurlitzer's"
_VERB = (r"(?:(?:elected|re-elected|named|appointed|promoted|made|chosen|nominated)\s+"
         r"(?:to\s+(?:the\s+(?:post|position)\s+of\s+)?|as\s+)?)?")
_BE = r"(?:was|is|has\s+been|had\s+been|will\s+be|would\s+be|became|becomes)"
# "X was elected president", "X, 47, has been named its president"
_STATED = re.compile(rf"(?P<name>{_NAME}){_AGE}\s+{_BE}\s+{_VERB}{_ARTICLE}(?P<posts>{_POSTS})\b")
# "Sid Weiss who was named chief executive officer"
_WHO = re.compile(rf"(?P<name>{_NAME}){_AGE},?\s+who\s+{_BE}\s+{_VERB}{_ARTICLE}"
                  rf"(?P<posts>{_POSTS})\b")
# "it named John Kotts president and chief operating officer"
_NAMED = re.compile(rf"\b(?:named|appointed|elected)\s+(?P<name>{_NAME}){_AGE}\s+(?:as\s+)?"
                    rf"{_ARTICLE}(?P<posts>{_POSTS})\b")
# "Leonard Friedman, Wurlitzer chairman, led ..."
_APPOSED = re.compile(rf"(?P<name>{_NAME}),\s+{_ARTICLE}(?:[A-Z][\w&.']*\s+)?"
                      rf"(?P<posts>{_POSTS}),")
# "Executive vice president Robert Lee": a title, read in evidence only
_TITLE = re.compile(rf"(?i:(?P<posts>{_POSTS}))\s+(?P<name>{_NAME})")
# "John Kerin will chair the inquiry", "Sid Weiss, who chaired the meeting": a post given as
# a verb (read as "chairman")
_CHAIRS = re.compile(rf"(?P<name>{_NAME}){_AGE},?\s+(?:who\s+)?(?:(?:will|would|is\s+to|was\s+to|"
                     rf"is\s+expected\s+to|has\s+been\s+asked\s+to)\s+)?(?P<posts>chair(?:s|ed)?)\b"
                     rf"(?!\s+(?:of|and|,))")
_CLAIMS = (_STATED, _WHO, _NAMED, _CHAIRS)
_PRONOUNS = {"he", "she", "it", "they", "who", "the", "its", "in", "also"}
_SAME = {"chair": "chairman", "chairs": "chairman", "chaired": "chairman", "chairwoman": "chairman",
         "chief executive": "chief executive officer",
         "chief operating": "chief operating officer", "chief financial": "chief financial officer",
         "spokesman": "spokesperson", "spokeswoman": "spokesperson"}


@dataclass(frozen=True)
class Holder:
    """A person and the posts a sentence gives them."""

    name: str
    posts: frozenset[str]

    @property
    def surname(self) -> str:
        return self.name.split()[-1].strip(".,").lower()


def _posts(text: str) -> frozenset[str]:
    whole = " ".join(text.lower().split())
    if whole in _SAME:  # a post given as a verb ("chaired"), or one spelled another way
        return frozenset({_SAME[whole]})
    atoms = re.findall(_ATOM, text, flags=re.I)
    return frozenset(_SAME.get(a, a) for a in (" ".join(x.lower().split()) for x in atoms))


def holders(text: str, titles: bool = True) -> list[Holder]:
    """The (person, posts) pairs ``text`` states, in order; ``titles``: also "chairman
    Leonard Friedman" and "Leonard Friedman, Wurlitzer chairman," (read in evidence), not
    only what is claimed with a verb ("was elected", "who was named", "named X")."""
    found: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for pattern in (*_CLAIMS, *((_APPOSED, _TITLE) if titles else ())):
        for m in pattern.finditer(text):
            name = m.group("name").strip()
            if (name.split()[0].lower() in _PRONOUNS and len(name.split()) == 1) or (
                    name.endswith(("'s", "’s"))):
                continue  # "He", or a company's post: "named Wurlitzer's chief executive"
            h = Holder(name, _posts(m.group("posts")))
            names.setdefault(h.surname, name)
            found.setdefault(h.surname, set()).update(h.posts)
    order = sorted(found, key=lambda s: text.lower().find(s))
    return [Holder(names[s], frozenset(found[s])) for s in order]


def role_clash(sentence: str, evidence: str) -> str | None:
    """Why ``evidence`` does not give the posts ``sentence`` claims for a person (who is
    named in it), or None: another person holds that post there, the person holds another,
    or the post is not in it at all."""
    theirs = holders(evidence)
    mentioned = set(re.findall(r"[a-z][\w'\-]*", evidence.lower()))
    for claim in holders(sentence, titles=False):
        if claim.surname not in mentioned:
            continue  # a name the evidence lacks: the names check says so
        own = [h for h in theirs if h.surname == claim.surname]
        if any(h.posts & claim.posts for h in own):
            continue
        posts = ", ".join(sorted(claim.posts))
        other = [h for h in theirs if h.posts & claim.posts]
        if other:
            return (f"has {claim.name.split()[-1]} as {posts} where the evidence has "
                    f"{other[0].name.split()[-1]}")
        if own:
            return (f"has {claim.name.split()[-1]} as {posts} where the evidence has "
                    f"{', '.join(sorted(own[0].posts))}")
        if not _posts(evidence) & claim.posts:
            return f"the evidence does not make {claim.name.split()[-1]} {posts}"
    return None
