"""Reading files and splitting sentences: offsets always slice back to the text."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.errors import IngestError
from rag.text import decode, html_to_text, read_text, split_sentences


@pytest.mark.parametrize("data,reason", [
    (b"", "empty"),
    (b"   \n\t ", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ("북한군이 러시아 쿠르스크 지역에 배치되었다.".encode("euc-kr"), "not UTF-8"),  # multi-byte
    (b"Seoul said so." + b" " * 9000 + b"\x00", "binary"),  # a NUL after the first 8 KB too
])
def test_decode_refuses_unusable_bytes_with_a_reason(data, reason):
    with pytest.raises(IngestError, match=reason):
        decode(data, "x.txt")


def test_decode_accepts_utf8_with_bom_and_utf16():
    assert decode("\ufeffSeoul said.".encode("utf-8")) == "Seoul said."
    assert decode("Seoul said.".encode("utf-16")) == "Seoul said."


def test_html_is_reduced_to_visible_text(tmp_path):
    page = tmp_path / "r.html"
    page.write_text("<html><head><title>T</title><script>alert(1)</script></head><body>"
                    "<nav>Home | News</nav><h1>Troops &amp; brigades</h1><p>Seoul said "
                    "<b>3,000</b> troops.</p><footer>(c) site</footer></body></html>")
    text = read_text(page)
    assert "Troops & brigades" in text and "Seoul said 3,000 troops." in text
    assert "alert" not in text and "Home" not in text and "(c) site" not in text
    assert html_to_text("<p>a</p><p>b</p>") == "a\nb\n"


def test_sentences_respect_abbreviations_initials_and_quotes():
    text = ("U.S. Defense Secretary Lloyd Austin stated on Oct. 19 that it was unconfirmed. "
            "Michael R. Turner said “this is alarming.” Kim left.\nNew paragraph here")
    got = [s.text for s in split_sentences(text)]
    assert got == ["U.S. Defense Secretary Lloyd Austin stated on Oct. 19 that it was unconfirmed.",
                   "Michael R. Turner said “this is alarming.”", "Kim left.", "New paragraph here"]


WIRE = ("THE HAGUE LAUNCHES SECOND TRANCHE OF CP PROGRAM\nApril 13, 1987\n\n"
        "AMSTERDAM, April 13 - Bank Mees en Hope NV, a fully-owned\n"
        "subsidiary of Algemene Bank Nederland NV, said it launched the\n"
        "second tranche of a 100 mln guilders commercial paper program\n"
        "for the city of The Hague.\n"
        "    Mees en Hope declined to comment on the size of the second\n"
        "tranche but said the first tranche, ended March 10, was for 50\n"
        "mln guilders.\n"
        "    The operations in Colombia of Texas\n"
        "Petroleum Co will not be affected, its manager said.\n"
        "    Shr loss 13 cts vs loss one ct\n"
        "    Net loss 18,600,000 vs profit 3,300,000\n"
        " Reuter\n")


def test_a_hard_wrapped_sentence_is_one_sentence_and_its_quote_keeps_the_line_breaks():
    """Newswire text wrapped at a fixed width (the Reuters collection): a line that ends
    mid-sentence continues on the next, so evidence is whole sentences, not line pieces;
    headlines, date lines, indented paragraphs and table rows still split."""
    spans = split_sentences(WIRE)
    got = [s.text for s in spans]
    assert got == [
        "THE HAGUE LAUNCHES SECOND TRANCHE OF CP PROGRAM", "April 13, 1987",
        "AMSTERDAM, April 13 - Bank Mees en Hope NV, a fully-owned\nsubsidiary of Algemene "
        "Bank Nederland NV, said it launched the\nsecond tranche of a 100 mln guilders "
        "commercial paper program\nfor the city of The Hague.",
        "Mees en Hope declined to comment on the size of the second\ntranche but said the "
        "first tranche, ended March 10, was for 50\nmln guilders.",
        "The operations in Colombia of Texas\nPetroleum Co will not be affected, its manager "
        "said.",
        "Shr loss 13 cts vs loss one ct", "Net loss 18,600,000 vs profit 3,300,000", "Reuter"]
    assert all(WIRE[s.start:s.end] == s.text for s in spans)


def test_lines_that_are_paragraphs_headlines_or_list_items_still_split():
    """Text with one paragraph a line (the seeds, extracted HTML) is split as before: a
    headline without a full stop does not run into the paragraph under it."""
    text = ("North Korea has sent 1,500 special forces to Russia to fight Ukraine, Seoul says\n"
            "Seoul's spy agency said on Friday that troops had been sent. Moscow denied it.\n"
            "- first item\n- second item\n"
            "Key points\nKim left.")
    assert [s.text for s in split_sentences(text)] == [
        "North Korea has sent 1,500 special forces to Russia to fight Ukraine, Seoul says",
        "Seoul's spy agency said on Friday that troops had been sent.", "Moscow denied it.",
        "- first item", "- second item", "Key points", "Kim left."]


def test_sentences_inside_a_range_keep_offsets_of_the_whole_text():
    text = "Skip this. Keep one. Keep two."
    spans = split_sentences(text, 11, len(text))
    assert [s.text for s in spans] == ["Keep one.", "Keep two."]
    assert all(text[s.start:s.end] == s.text for s in spans)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_sentence_offsets_hold_for_any_text(text):
    for span in split_sentences(text):
        assert text[span.start:span.end] == span.text
        assert span.text.strip() == span.text and span.text
