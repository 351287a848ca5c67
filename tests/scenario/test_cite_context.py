"""`cite --context`: sentence segmentation, quotes in context, and the fragment flags."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from detente.cli import app
from detente.scenario.cite import normalise
from detente.scenario.cite_context import (
    CitedContext,
    Flag,
    cite_contexts,
    context,
    flags,
    is_fragment,
    render_rich,
    render_text,
    segment,
)
from detente.scenario.load import load_scenario

runner = CliRunner()

# A made-up article: abbreviations, initials, quotation marks and two paragraphs.
ARTICLE = (
    "Mr. Kim met Dr. Lee in Washington, D.C. on Friday. Sen. J. R. Smith (R-S.C.) was not there.\n"
    "\n"
    "The U.S. “hostile policy” is the problem, say officials.  Talks will resume if sanctions "
    "are lifted. There is no evidence that Pyongyang wants a treaty, or it would have accepted "
    "one in 2019. “We are ready,” the envoy said. Would Seoul agree to a freeze?\n"
    "Another possibility is that Seoul waits. Washington should move first. The allies agreed "
    "on a joint statement.\n"
)


def _kinds(found: list[Flag]) -> set[str]:
    return {f.kind for f in found if not f.is_note}


def _notes(found: list[Flag]) -> set[str]:
    return {f.kind for f in found if f.is_note}


def _flags_in(quote: str) -> list[Flag]:
    seg = segment(ARTICLE)
    ctx = context(seg, quote)
    assert ctx is not None, quote
    sentence = seg.text[ctx.sentence_span().start : ctx.sentence_span().end]
    head = seg.text[ctx.paragraph.start : ctx.quote.start]
    return flags(quote, sentence, in_quotation=head.count('"') % 2 == 1)


# --------------------------------------------------------------------------- segmentation


def test_segment_keeps_abbreviations_and_initials_inside_their_sentence() -> None:
    seg = segment(ARTICLE)
    sentences = [seg.sentence_text(s) for s in seg.sentences]
    assert sentences[:2] == [
        "Mr. Kim met Dr. Lee in Washington, D.C. on Friday.",
        "Sen. J. R. Smith (R-S.C.) was not there.",
    ]
    assert 'The U.S. "hostile policy" is the problem, say officials.' in sentences
    assert '"We are ready," the envoy said.' in sentences
    assert "Would Seoul agree to a freeze?" in sentences
    assert len(sentences) == 10


def test_segment_text_is_the_normalised_file_and_paragraphs_are_lines() -> None:
    seg = segment(ARTICLE)
    assert seg.text == normalise(ARTICLE)
    assert len(seg.paragraphs) == 3  # the blank line is no paragraph
    assert seg.text[seg.paragraphs[2].start :].startswith("Another possibility")
    for s in seg.sentences:  # every sentence lies inside one paragraph
        assert any(p.start <= s.start and s.end <= p.end for p in seg.paragraphs)


def test_a_sentence_ends_at_a_closing_quote_and_before_an_opening_one() -> None:
    seg = segment("He called it a “love affair.” Then he left. She said: “No.” “Yes,” he said.")
    assert [seg.sentence_text(s) for s in seg.sentences] == [
        'He called it a "love affair."',
        "Then he left.",
        'She said: "No."',
        '"Yes," he said.',
    ]


def test_no_before_a_digit_does_not_end_a_sentence_but_elsewhere_it_does() -> None:
    seg = segment("See No. 5 of the list. The answer was no. Then we left.")
    assert [seg.sentence_text(s) for s in seg.sentences] == [
        "See No. 5 of the list.",
        "The answer was no.",
        "Then we left.",
    ]


# --------------------------------------------------------------------------- context


def test_context_gives_offsets_sentence_and_paragraph() -> None:
    seg = segment(ARTICLE)
    ctx = context(seg, "sanctions are lifted")
    assert ctx is not None
    assert seg.text[ctx.quote.start : ctx.quote.end] == "sanctions are lifted"
    assert len(ctx.sentences) == 1
    assert seg.sentence_text(ctx.sentences[0]) == "Talks will resume if sanctions are lifted."
    assert seg.text[ctx.paragraph.start :].startswith("The U.S.")
    assert ctx.occurrences == 1
    assert context(seg, "not in the article") is None


def test_a_quote_spanning_two_sentences_gets_both() -> None:
    seg = segment(ARTICLE)
    ctx = context(seg, "Washington should move first. The allies agreed")
    assert ctx is not None
    assert [seg.sentence_text(s) for s in ctx.sentences] == [
        "Washington should move first.",
        "The allies agreed on a joint statement.",
    ]
    # the second sentence is cut short: a fragment, but with nothing that conditions it
    assert _kinds(_flags_in("Washington should move first. The allies agreed")) == set()


def test_a_quote_with_curly_quotes_and_extra_spaces_is_found() -> None:
    seg = segment(ARTICLE)
    assert context(seg, 'The U.S. "hostile policy"   is the problem') is not None


# --------------------------------------------------------------------------- flags


def test_a_fragment_after_if_is_a_condition() -> None:
    found = _flags_in("Talks will resume")
    assert _kinds(found) == {"condition"}
    assert next(f for f in found if f.kind == "condition").cue == "if"


def test_the_consequent_of_an_if_clause_is_a_condition_too() -> None:
    assert "condition" in _kinds(
        flags("there will be peace", "If the U.S. declares peace, there will be peace.")
    )


def test_a_fragment_after_or_is_an_alternative_and_a_counterfactual() -> None:
    assert _kinds(_flags_in("it would have accepted one in 2019")) == {
        "alternative",
        "counterfactual",
    }


def test_a_fragment_under_negation_is_flagged() -> None:
    found = _flags_in("Pyongyang wants a treaty")
    assert _kinds(found) == {"negation"}
    assert next(f for f in found if f.kind == "negation").cue == "no"


def test_a_negated_predicate_after_the_quote_is_flagged() -> None:
    found = flags("The alternative", "The alternative is not an option.")
    assert _kinds(found) == {"negation"}


def test_the_whole_sentence_is_not_flagged() -> None:
    whole = (
        "There is no evidence that Pyongyang wants a treaty, or it would have accepted one in 2019."
    )
    assert not is_fragment(whole, whole)
    assert _kinds(_flags_in(whole)) == set()
    # nor with only an opener left out, nor the trailing period
    assert _kinds(flags("the talks failed", "First, the talks failed.")) == set()
    assert _kinds(_flags_in("The allies agreed on a joint statement")) == set()


def test_affirming_negatives_and_concessive_if_not_are_not_flagged() -> None:
    s = "It should surprise no one that Kim distrusts Washington."
    assert _kinds(flags("Kim distrusts Washington", s)) == set()
    s = "A concerted effort to freeze if not reverse the programme is essential."
    assert _kinds(flags("freeze if not reverse the programme is essential", s)) == set()
    s = "Kim turned not just frigid but dismissive toward the ROK."
    assert _kinds(flags("dismissive toward the ROK", s)) == set()


def test_negation_scope_stops_at_a_comma() -> None:
    s = "Acknowledging that there is no war, might encourage some to argue against exercises."
    assert "negation" not in _kinds(flags("might encourage some to argue against exercises", s))


def test_a_possibility_and_a_question_are_flagged() -> None:
    assert _kinds(_flags_in("Seoul waits")) == {"hypothetical"}
    assert _kinds(_flags_in("Seoul agree to a freeze")) == {"question", "hypothetical"}
    s = "We have to ask whether North Korea would trade concessions for it."
    assert _kinds(flags("North Korea would trade concessions for it", s)) == {"question"}


def test_reported_speech_in_the_omitted_words_is_flagged() -> None:
    assert _kinds(_flags_in('The U.S. "hostile policy" is the problem')) == {"reported"}
    found = _flags_in("We are ready")
    assert _kinds(found) == {"reported"}
    assert _notes(found) == {"quoted"}
    s = "Advocates argue that North Korea would relish a peace offering."
    assert _kinds(flags("North Korea would relish a peace offering", s)) == {"reported"}


def test_a_verb_that_does_not_introduce_the_quote_is_not_reported_speech() -> None:
    s = "Although attention was on missile tests, diplomats said that talks went on."
    assert "reported" not in _kinds(flags("attention was on missile tests", s))


def test_notes_for_attribution_and_prescription_inside_the_quote() -> None:
    s = "The South contends that a declaration would be symbolic."
    assert _notes(flags(s, s)) == {"attributed"} and _kinds(flags(s, s)) == set()
    assert _notes(_flags_in("Washington should move first.")) == {"prescription"}


# --------------------------------------------------------------------------- rendering


def _item(quote: str, sentence: str) -> CitedContext:
    at = sentence.index(quote)
    return CitedContext(
        field="actors.x.stances.y.position",
        target=None,
        line=3,
        number="triangular(1, 2, 3)",
        doc="doc",
        quote=quote,
        found=True,
        sentence=sentence,
        sentence_start=100,
        quote_start=100 + at,
        quote_end=100 + at + len(quote),
        paragraph_start=90,
        paragraph_end=200,
        occurrences=1,
        flags=tuple(flags(quote, sentence)),
    )


def test_render_text_marks_the_quote_and_lists_flags() -> None:
    text = render_text([_item("Talks will resume", "Talks will resume if sanctions go.")])
    assert "actors.x.stances.y.position [line 3] = triangular(1, 2, 3)   [doc]" in text
    assert "»Talks will resume« if sanctions go." in text
    assert "FLAG condition:" in text
    assert text.rstrip().endswith(
        "1 of 1 quotes found verbatim; 1 flagged as fragments read against their sentence"
    )


def test_render_rich_prints_user_text_literally() -> None:
    sentence = "The [bold]envoy[/bold] said [red]no[/] to it."
    console = Console(record=True, width=200)
    for line in render_rich([_item("[bold]envoy[/bold]", sentence)]):
        console.print(line)
    assert sentence in console.export_text()


# --------------------------------------------------------------------------- the Korea scenario

# The Korea judgments the fragment rule flags (path or override target -> the kinds).
KOREA_FLAGGED_BEFORE_THE_AUDIT = {
    "issues.armistice.status_quo": {"reported"},
    "actors.usa.stances.declaration.position": {"hypothetical"},
    "actors.usa.stances.armistice.salience": {"reported"},
    "actors.rok.stances.armistice.salience": {"reported"},
    "actors.dprk.stances.nuclear.position": {"hypothetical"},
    "actors.china.capability": {"counterfactual"},
    "game.coalition_moves.comms.effects.link.value": {"reported"},
    "game.target_moves.engage.effects.talks.value": {"reported"},
    "game.types.sanctions_seeker.p_test": {"reported"},
    "engagement:actors.dprk.stances.nuclear.position": {"reported"},
    "skeptic:actors.usa.stances.armistice.salience": {"counterfactual"},
    "skeptic:game.types.enmity_dependent.lift.declare": {"alternative", "counterfactual"},
}


def _key(c: CitedContext) -> str:
    if c.target:
        return f"{c.field.split('.')[1]}:{c.target}"
    return c.field


def test_korea_every_quote_has_its_sentence(korea_yaml: Path, sources_dir: Path) -> None:
    items = cite_contexts(load_scenario(korea_yaml), sources_dir)
    assert len(items) >= 50  # 65 quotes after the re-audit (scenarios/korea-audit.md)
    for c in items:
        assert c.found, c.field
        assert normalise(c.quote) in c.sentence
        a, q, b = c.highlighted()
        assert q == normalise(c.quote) and a + q + b == c.sentence
        # the sentence starts a sentence and ends one
        assert c.sentence[:1].isupper() or c.sentence[:1] in "\"'("
        assert c.sentence.rstrip("\"')")[-1:] in ".!?"


def test_korea_flags(korea_yaml: Path, sources_dir: Path) -> None:
    items = cite_contexts(load_scenario(korea_yaml), sources_dir)
    got = {_key(c): {f.kind for f in c.flagged} for c in items if c.flagged}
    # issue 16: the re-audited scenario flags no fragment (before it, the 12 judgments of
    # KOREA_FLAGGED_BEFORE_THE_AUDIT, among them the review's worst-15 #6, read the wrong way)
    assert got == {}
    assert not any(_key(c) in KOREA_FLAGGED_BEFORE_THE_AUDIT for c in items if c.flagged)


def test_cli_context_json_and_exit_status(korea_yaml: Path, sources_dir: Path) -> None:
    args = ["cite", str(korea_yaml), "--sources", str(sources_dir), "--context"]
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.stdout  # every quote found, no fragment flagged
    data = json.loads(result.stdout)
    assert data["quotes"] == data["found"] == len(data["judgments"])
    assert data["flagged"] == 0
    first = data["judgments"][0]
    assert {"field", "number", "doc", "quote", "sentence", "offsets", "flags"} <= set(first)
    text = runner.invoke(app, args)
    assert text.exit_code == 0
    assert "FLAG" not in text.stdout
