"""Evidence selection with the real embedding model: what is picked, and what is embedded."""

import numpy as np

from rag.evidence import SentenceVectors, format_evidence, select_evidence
from rag.types import Passage


class CountingEncoder:
    """The real model, counting the texts it is asked to embed."""

    def __init__(self, inner):
        self.inner, self.texts = inner, []

    def encode(self, texts):
        self.texts += list(texts)
        return self.inner.encode(texts)


def _passage(source: str, text: str, rank: int = 0) -> Passage:
    return Passage(f"{source}-{rank}", source, source.title(), None, text, 100, 100 + len(text),
                   1.0 / (1 + rank))


REPORT = ("Seoul spoke on Monday about the border situation. Kim Min-seok is a senior aide. "
          "He said that 3,000 soldiers were moved by train to Vladivostok last week. "
          "The weather in the region was cold and windy all week. "
          "This deployment follows an earlier transfer of 1,500 soldiers by sea.")


def test_a_he_sentence_brings_its_antecedent_but_a_this_sentence_does_not(embeddings):
    evidence = select_evidence("How many soldiers were moved by train?",
                               [_passage("a.txt", REPORT)], embeddings, limit=2)
    texts = [e.text for e in evidence]
    assert texts[:2] == ["Kim Min-seok is a senior aide.",  # who "he" is, kept in reading order
                         "He said that 3,000 soldiers were moved by train to Vladivostok last week."]
    assert any(t.startswith("This deployment") for t in texts)
    assert not any(t.startswith("The weather") for t in texts)  # not pulled in by "This ..."
    assert len(texts) == 3
    for e in evidence:  # offsets point into the file
        assert REPORT[e.start - 100:e.end - 100] == e.text
    assert format_evidence(evidence).splitlines()[0].startswith("[1] Kim Min-seok")


def test_sentence_vectors_embed_each_sentence_once_and_match_the_model(embeddings):
    counting = CountingEncoder(embeddings)
    cache = SentenceVectors(counting, size=3)
    first = cache.encode(["alpha troops", "beta brigades", "alpha troops"])
    assert counting.texts == ["alpha troops", "beta brigades"]
    second = cache.encode(["beta brigades", "gamma border"])
    assert counting.texts[2:] == ["gamma border"]
    assert np.allclose(second[0], first[1], atol=1e-6)
    assert np.allclose(second[1], embeddings.encode(["gamma border"])[0], atol=1e-5)
    cache.encode(["delta"])  # size 3: the least recently used ("alpha troops") goes
    cache.encode(["alpha troops"])
    assert counting.texts[-1] == "alpha troops" and counting.texts.count("alpha troops") == 2


def test_the_question_vector_from_retrieval_is_reused_not_embedded_again(embeddings):
    question = "How many soldiers were moved by train?"
    passages = [_passage("a.txt", REPORT)]
    counting = CountingEncoder(embeddings)
    plain = select_evidence(question, passages, counting, limit=3)
    assert counting.texts[0] == question
    counting.texts.clear()
    reused = select_evidence(question, passages, counting, limit=3,
                             query_vector=embeddings.embed_query(question))
    assert question not in counting.texts
    assert [e.text for e in reused] == [e.text for e in plain]
    assert np.allclose([e.score for e in reused], [e.score for e in plain], atol=1e-4)
