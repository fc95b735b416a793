"""Cleaning scraped pages and chunking: furniture goes, offsets into the original stay exact."""

from hypothesis import given, settings
from hypothesis import strategies as st

from rag.chunking import chunk_id, chunk_report
from rag.clean import clean
from rag.text import read_text
from tests.conftest import SEEDS


def _report(name):
    path = SEEDS / name
    return clean(path.name, read_text(path))


def _kept_text(report):
    return "\n".join(b.text for b in report.blocks)


def test_related_news_recommended_and_video_lists_are_dropped():
    report = _report("000_024fd79d73a92d59.txt")
    kept = _kept_text(report)
    for furniture in ("Related News", "Recommended", "Video Articles", "Elon Musk",
                      "Silver47", "Scandium", "Thursday, October 13, 2022"):
        assert furniture not in kept
    assert "Not a recommendation to buy or sell" not in kept  # disclaimer
    assert "Pyongyang has neither confirmed nor denied" in kept  # the report's last line stays
    assert report.title.startswith("South Korea Considers Military Response")


def test_sharing_prompts_and_stray_links_are_dropped():
    report = _report("003_ca6e3800ea5608bd.txt")
    kept = _kept_text(report)
    for furniture in ("JOIN US ON TELEGRAM", "Ctrl + Enter", "ISW Russian Offensive Campaign"):
        assert furniture not in kept
    assert "fake ID cards" in kept
    assert report.publisher == "Kyiv Post"  # from "@Kyivpost_official" + "Kyiv Post" in the text


def test_byline_gives_publisher_and_first_sentence_gives_title():
    report = _report("004_968b073979ff03d3.txt")
    assert report.publisher == "Smartencyclopedia"
    assert "By Smartencyclopedia" not in _kept_text(report)
    assert report.title.startswith("South Korea’s National Intelligence Service (NIS) reported")
    assert len(report.title) <= 112


def test_general_rules_work_on_a_new_report():
    original = ("Army Moves North\nBy Jane Doe\nThe army moved north on Monday. Officials said "
                "2,000 troops went.\nSubscribe to our newsletter!\nMore stories\nCats learn to "
                "drive\nTuesday, March 8, 2022\n")
    report = clean("new.txt", original)
    assert report.title == "Army Moves North" and report.publisher == "Jane Doe"
    kept = _kept_text(report)
    assert "2,000 troops" in kept and "newsletter" not in kept and "Cats" not in kept


def test_every_seed_chunk_and_sentence_slices_the_original():
    for path in sorted(SEEDS.iterdir()):
        report = clean(path.name, read_text(path))
        assert read_text(path) == report.original
        chunks = chunk_report(report)
        assert chunks
        for span in (*report.blocks, *report.sentences, *chunks):
            assert report.original[span.start:span.end] == span.text


def test_chunks_overlap_by_one_sentence_and_ids_are_deterministic():
    report = _report("004_968b073979ff03d3.txt")
    chunks = chunk_report(report, max_chars=300, overlap=1)
    assert len(chunks) > 3
    for a, b in zip(chunks, chunks[1:], strict=False):
        if a.end > b.start:  # same block: b starts with a's last sentence
            assert b.start < a.end
    again = chunk_report(_report("004_968b073979ff03d3.txt"), max_chars=300, overlap=1)
    assert [c.id for c in chunks] == [c.id for c in again]
    assert len({c.id for c in chunks}) == len(chunks)
    assert chunk_id("a.txt", 0, "x") != chunk_id("b.txt", 0, "x")


_line = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"),
            max_size=120),
    st.sampled_from(["Related News", "By Someone", "JOIN US ON TELEGRAM", "Recommended",
                     "Thursday, October 13, 2022, 08:10:56 AM", "The author holds no licenses.",
                     "Seoul said 3,000 troops went. U.S. officials agreed.", "", "   "]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_line, max_size=25), st.sampled_from(["\n", "\r\n", "\n\n"]))
def test_offsets_hold_for_any_page(lines, newline):
    original = newline.join(lines)
    report = clean("fuzz.txt", original)
    for span in (*report.blocks, *report.sentences, *chunk_report(report, max_chars=200)):
        assert original[span.start:span.end] == span.text
