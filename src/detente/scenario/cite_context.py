"""Quotes read in their sentence: segmentation, context and fragment flags (``cite --context``).

This module owns three things (docs/citations.md states the rules):

* :func:`segment` — a small, documented sentence splitter for the shared source texts. It works on
  the text as :func:`~detente.scenario.cite.normalise` sees it, so offsets of a quote found by
  ``check_citations`` are offsets here too. Paragraphs are the source file's lines (blank lines
  ignored); a sentence ends at ``.``, ``!`` or ``?`` (with any closing quotation marks or brackets)
  followed by a space and a capital letter, a digit or an opening quotation mark — except after a
  title (``Mr.``, ``Dr.``, ``Sen.`` …), a single-letter initial (``Anthony W. Holmes``), a dotted
  abbreviation (``U.S.``, ``R-S.C.``) or a short list of others (``e.g.``, ``vs.``, ``No.`` before a
  digit). A paragraph end always ends a sentence.
* :func:`context` — for a quote: the sentence(s) it touches, its paragraph, and offsets.
* :func:`flags` — the fragment rule: a quote that is *part* of a sentence whose omitted rest
  conditions, negates, questions, makes counterfactual, offers as one alternative, or attributes to
  someone else what the quote says. A quote that is a whole sentence (or several) is never flagged:
  its reader sees everything the author wrote in it. Quoted speech (a quote inside quotation marks
  in its paragraph) gives a *note*, not a flag: the words are someone's, named nearby.

:func:`cite_contexts` assembles one :class:`CitedContext` per cited judgment of a scenario, and
:func:`render_text` / :func:`render_rich` / :func:`to_json` present them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from rich.text import Text

from detente.scenario.cite import Citation, cited_quotes, normalise, read_sources
from detente.scenario.load import LoadedScenario

# --------------------------------------------------------------------------- segmentation

#: Words that end with a period without ending a sentence (compared case-insensitively,
#: without the period). Titles and common abbreviations of the news articles we cite.
ABBREVIATIONS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sen",
        "rep",
        "gen",
        "lt",
        "col",
        "maj",
        "capt",
        "gov",
        "pres",
        "amb",
        "sec",
        "st",
        "jr",
        "sr",
        "rev",
        "hon",
        "vs",
        "etc",
        "cf",
        "al",
        "approx",
        "est",
        "dept",
        "univ",
        "inc",
        "corp",
        "co",
        "ltd",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    }
)
#: Abbreviations that end a sentence only before a digit is impossible: ``No. 5``.
_BEFORE_DIGIT = frozenset({"no", "nos", "vol", "p", "pp", "art", "fig"})

# A candidate end: terminal punctuation, closing quotes/brackets, whitespace, then a sentence start.
_END = re.compile(r"[.!?]+[\"')\]]*(?= +[\"'(\[]*[A-Z0-9])")
# The word before a period: letters, dots and hyphens (``U.S``, ``R-S.C``, ``Calif``, ``W``).
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.\-]*)$")


@dataclass(frozen=True)
class Span:
    """``text[start:end]`` of the normalised source text."""

    start: int
    end: int


@dataclass(frozen=True)
class Segmented:
    """A normalised source text with its paragraphs and sentences (sorted, non-overlapping)."""

    text: str
    paragraphs: tuple[Span, ...]
    sentences: tuple[Span, ...]

    def sentence_text(self, span: Span) -> str:
        return self.text[span.start : span.end]


def _is_abbreviation(before: str, punct: str, after: str) -> bool:
    """Whether the period ending ``before`` belongs to a word rather than ending the sentence."""
    if not punct.startswith(".") or punct.startswith(".."):
        return False
    if punct != ".":  # ``.”`` or ``.)``: a closing mark follows; a sentence ends
        return False
    m = _WORD_BEFORE.search(before)
    if m is None:
        return False
    word = m.group(1)
    bare = word.rsplit("-", 1)[-1].rstrip(".")
    if len(bare) == 1 and bare.isupper():  # an initial: ``W.`` in ``Anthony W. Holmes``
        return True
    if "." in word.rstrip("."):  # a dotted abbreviation: ``U.S.``, ``R-S.C.``, ``e.g.``
        return True
    low = bare.lower()
    if low in ABBREVIATIONS:
        return True
    return low in _BEFORE_DIGIT and after.lstrip()[:1].isdigit()


def _split_paragraph(text: str, start: int, end: int) -> list[Span]:
    spans: list[Span] = []
    s = start
    for m in _END.finditer(text, start, end):
        if _is_abbreviation(text[s : m.start()], m.group(0), text[m.end() : m.end() + 3]):
            continue
        spans.append(Span(s, m.end()))
        s = m.end() + 1  # one space follows (the text is normalised)
    if s < end:
        spans.append(Span(s, end))
    return spans


def segment(raw: str) -> Segmented:
    """Paragraphs (the file's non-blank lines) and sentences of ``raw``, on normalised text.

    The normalised text is the paragraphs, each normalised, joined by one space: exactly
    :func:`~detente.scenario.cite.normalise` of the whole file.
    """
    parts = [normalise(line) for line in raw.splitlines()]
    parts = [p for p in parts if p]
    text = " ".join(parts)
    paragraphs: list[Span] = []
    sentences: list[Span] = []
    pos = 0
    for part in parts:
        para = Span(pos, pos + len(part))
        paragraphs.append(para)
        sentences.extend(_split_paragraph(text, para.start, para.end))
        pos = para.end + 1
    return Segmented(text, tuple(paragraphs), tuple(sentences))


# --------------------------------------------------------------------------- context


@dataclass(frozen=True)
class Context:
    """Where a quote sits: its offsets, the sentence(s) it touches, and its paragraph."""

    quote: Span
    sentences: tuple[Span, ...]
    paragraph: Span
    occurrences: int

    def sentence_span(self) -> Span:
        return Span(self.sentences[0].start, self.sentences[-1].end)


def context(seg: Segmented, quote: str) -> Context | None:
    """The first occurrence of ``quote`` (normalised) in ``seg``, or None when absent."""
    needle = normalise(quote)
    if not needle:
        return None
    at = seg.text.find(needle)
    if at < 0:
        return None
    occurrences = seg.text.count(needle)
    span = Span(at, at + len(needle))
    touched = tuple(s for s in seg.sentences if s.start < span.end and span.start < s.end)
    if not touched:  # the quote is only the space between two sentences: impossible after strip
        return None
    para = next(
        (p for p in seg.paragraphs if p.start <= span.start < p.end),
        Span(touched[0].start, touched[-1].end),
    )
    return Context(span, touched, para, occurrences)


# --------------------------------------------------------------------------- flags

FlagKind = Literal[
    "condition",
    "negation",
    "alternative",
    "counterfactual",
    "hypothetical",
    "question",
    "reported",
    "quoted",
    "attributed",
    "prescription",
]
#: Kinds that are notes: printed beside the quote, never counted as a flag (the words they point
#: at are in the quote itself or plainly someone's, so the reader sees them).
NOTE_KINDS: frozenset[str] = frozenset({"quoted", "attributed", "prescription"})


@dataclass(frozen=True)
class Flag:
    """One reason to read a quote in its sentence: ``cue`` is the word(s) that triggered it."""

    kind: FlagKind
    cue: str
    explanation: str

    @property
    def is_note(self) -> bool:
        return self.kind in NOTE_KINDS

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "cue": self.cue,
            "explanation": self.explanation,
            "note": self.is_note,
        }


# Clause breaks: semicolons, colons, a spaced dash, and a comma before a coordinating conjunction
# or a contrast (", but", ", and", ", or", ", so", ", yet", ", while", ", whereas"); a bare " but ".
_CLAUSE = re.compile(r"[;:]|\s-\s|,\s+(?:but|and|or|nor|so|yet|while|whereas)\b|\sbut\s", re.I)
# Sentence openers that omit nothing: "First, X." quoted as "X" is the whole sentence.
_OPENERS = re.compile(
    r"^(?:\W*(?:and|but|yet|so|or|however|moreover|indeed|nevertheless|nonetheless|first|"
    r"second|secondly|third|thirdly|finally|still|thus|hence|also|then|of course|in fact|"
    r"after all|in any case|in contrast|that is|even so|instead|meanwhile|again)\b)*\W*$",
    re.I,
)
_CONDITION = re.compile(
    r"\b(?:if(?!\s+not\b)|unless|provided(?:\s+that)?|as\s+long\s+as|in\s+case|assuming|"
    r"supposing|on\s+condition)\b",
    re.I,
)
_NEGATION = re.compile(
    r"\b(?:not|never|no|nor|neither|none|nobody|nothing|no\s+one|without|hardly|rather\s+than|"
    r"instead\s+of|den(?:y|ies|ied)|doubts?|doubted)\b|n't\b",
    re.I,
)
# Negative words that affirm: "it should surprise no one that X" says X.
_AFFIRMING = re.compile(
    r"\b(?:not\s+only|not\s+just|not\s+least|no\s+doubt|without\s+doubt|surprise\s+no\s+one|"
    r"no\s+less|nothing\s+less|none\s+other)\b",
    re.I,
)
_HYPOTHETICAL = re.compile(
    r"\b(?:might|may|could|would|perhaps|possibly|possibilit(?:y|ies)|possible|maybe|"
    r"probably|likely|apparently|seems?|seemed|appears?|appeared|imagine|suppose)\b",
    re.I,
)
_COUNTERFACTUAL = re.compile(
    r"\b(?:would|could|might|should|must)(?:n't|\s+not)?\s+have\s+"
    r"(?!(?:a|an|the|no|any|some|its|their|his|her|our|one|two|three|more|much|many|to|\d)\b)\w+",
    re.I,
)
_QUESTION = re.compile(r"\b(?:whether|ask(?:s|ed)?\s+(?:why|whether|how|what|if))\b", re.I)
_VERB = (
    r"(?:says?|said|claim(?:s|ed)?|argu(?:e|es|ed|ing)|contend(?:s|ed)?|insist(?:s|ed)?|"
    r"assert(?:s|ed)?|maintain(?:s|ed)?|suggest(?:s|ed)?|predict(?:s|ed)?|hope(?:s|d)?|"
    r"fear(?:s|ed)?|believe(?:s|d)?|assure(?:s|d)?|note(?:s|d)?|observe(?:s|d)?|"
    r"add(?:s|ed)?|warn(?:s|ed)?|told|tell(?:s)?|wr(?:ote|ites?)|report(?:s|ed)?|"
    r"indicate(?:s|d)?|urge(?:s|d)?|think(?:s)?|thought)"
)
# A reporting verb that introduces the quote ("X claimed that <quote>", "urged the North to ").
_REPORTED_BEFORE = re.compile(
    rf"\b{_VERB}(?:\s+(?:to|us|me|him|her|them)\b)?(?:\s+the\s+\w+\s+to)?(?:\s+that)?\W*$", re.I
)
# ... or follows it as the rest of its clause ("<quote>," the official said.).
_REPORTED_AFTER = re.compile(
    rf"^\W*(?:(?:[\w'.-]+\s+){{0,3}}?{_VERB}|{_VERB}(?!\s+that)(?:\s+[\w'.-]+){{0,3}})\W*$", re.I
)
_REPORTED_ANYWHERE = re.compile(
    r"\b(?:according\s+to|the\s+argument\s+goes|(?:they|critics|advocates|proponents)\s+"
    r"(?:say|argue|claim))\b",
    re.I,
)
# Inside the quote: "X contends that", "as Lankov suggested", "according to", "reportedly".
_REPORTED_INSIDE = re.compile(
    rf"\b{_VERB}\s+that\b|\bas\s+[A-Z][\w'-]*\s+{_VERB}\b|\b(?:according\s+to|reportedly)\b"
)
_ALTERNATIVE_BEFORE = re.compile(r"\b(?:or|nor|or\s+else|otherwise|either)\W*$", re.I)
_PRESCRIPTION = re.compile(r"\b(?:should(?!\s+surprise)|ought\s+to|must|needs?\s+to)\b", re.I)


def _clause_bounds(sentence: str, qs: int, qe: int) -> tuple[int, int]:
    """The stretch of ``sentence`` from the clause break before ``qs`` to the one after ``qe``."""
    lo, hi = 0, len(sentence)
    for m in _CLAUSE.finditer(sentence):
        if m.end() <= qs:
            lo = m.end()
        elif m.start() >= qe and hi == len(sentence):
            hi = m.start()
    return lo, hi


def _cue(pattern: re.Pattern[str], text: str) -> str | None:
    m = pattern.search(text)
    return m.group(0).strip(" ,.\"'") if m else None


def _negations(text: str) -> list[str]:
    cleaned = _AFFIRMING.sub(lambda m: " " * len(m.group(0)), text)
    return [m.group(0).strip() for m in _NEGATION.finditer(cleaned)]


def is_fragment(quote: str, sentence: str) -> bool:
    """Whether ``quote`` leaves words of ``sentence`` out (openers and punctuation aside)."""
    q, s = normalise(quote), normalise(sentence)
    at = s.find(q)
    if at < 0:
        return False
    before, after = s[:at], s[at + len(q) :]
    return bool(_OPENERS.match(before) is None or re.search(r"\w", after))


def flags(quote: str, sentence: str, *, in_quotation: bool = False) -> list[Flag]:
    """The fragment flags (and notes) of ``quote`` read inside ``sentence``.

    ``sentence`` is the sentence (or consecutive sentences) holding the quote; ``in_quotation``
    says the quote lies inside quotation marks of its paragraph (someone's quoted words). Both
    strings are normalised first. The rule (docs/citations.md):

    * Only a *fragment* is flagged: words of the sentence are left out (a sentence opener such as
      "First,", "However," or "And" and punctuation do not count). The cues are looked for in the
      omitted words, mostly of the quote's own clause (clauses break at ``;``, ``:``, a spaced
      dash, a bare *but*, and a comma before a conjunction).
    * ``condition`` — *if*, *unless*, *provided (that)*, *as long as*, *in case*, *assuming*,
      *supposing*, *on condition* in the omitted words of the clause (the concessive *if not* of
      "freeze if not reverse" is no condition).
    * ``negation`` — a negator (*not*, *n't*, *no*, *never*, *nor*, *neither*, *none*, *nothing*,
      *no one*, *without*, *hardly*, *rather than*, *instead of*, *deny*, *doubt*) in the omitted
      words just before the quote, back to the nearest comma or clause break, or in the first
      three omitted words after it (the quote is the subject of a negated predicate). Negatives
      that affirm (*not only*, *not just*, *no doubt*, *surprise no one*, *no less*) do not count.
    * ``alternative`` — the word just before the quote is *or*, *nor*, *or else*, *otherwise* or
      *either*: the quote is a branch of a disjunction, typically the counterfactual "or else"
      ("no evidence it wants it, or Pyongyang would have accepted it" does not say it would).
    * ``hypothetical`` — a modal or hedge (*might, may, could, would, perhaps, possibly,
      possibility, likely, apparently, seems, appears* …) in the omitted words just before the
      quote, back to the nearest comma: "Another possibility is that <quote>" offers the quote as a
      possibility, not a fact.
    * ``counterfactual`` — a modal perfect (*would/could/might/should/must have* + participle) in
      the quote's clause, quote included: what would follow under a supposition, not what is.
    * ``question`` — the sentence ends with ``?``, or the clause's omitted words hold *whether* or
      *ask why/whether/how/what/if*: the quote is asked, not asserted.
    * ``reported`` — the omitted words attribute the quote to someone: a reporting verb just
      before it ("X claimed that <quote>", "advocates argue that <quote>"), the rest of its clause
      after it ("<quote>," the official said), or *according to* / *the argument goes* anywhere.

    Notes (printed, never counted): ``quoted`` — the quote lies inside quotation marks, another
    party's words; ``attributed`` — the quote itself names whose claim it is ("The South
    contends…"); ``prescription`` — the quote says what someone *should* do (an author's
    prescription is not an actor's stance).
    """
    q = normalise(quote)
    s = normalise(sentence)
    out: list[Flag] = []
    if in_quotation:
        out.append(
            Flag(
                "quoted",
                '"',
                "inside quotation marks: another party's words; check the number is that "
                "party's stance, or that the author endorses it",
            )
        )
    qs = s.find(q)
    if qs < 0:
        return out
    qe = qs + len(q)
    before, after = s[:qs], s[qe:]
    lo, hi = _clause_bounds(s, qs, qe)
    if rep := _cue(_REPORTED_INSIDE, q):
        out.append(
            Flag("attributed", rep, f"the quote reports a claim ({rep!r}): is it this actor's?")
        )
    if pre := _cue(_PRESCRIPTION, q):
        out.append(
            Flag(
                "prescription",
                pre,
                f"a prescription ({pre!r}): what someone should do is not an actor's stance",
            )
        )
    if not is_fragment(q, s):
        return out
    omitted = s[lo:qs] + " " + s[qe:hi]
    near = re.split(r"[,;:]|\s-\s|\sbut\s", before)[-1]

    if cue := _cue(_CONDITION, omitted):
        out.append(
            Flag(
                "condition", cue, f"the omitted rest of the sentence makes it conditional ({cue!r})"
            )
        )
    negs = _negations(near) + _negations(" ".join(after.split()[:3]))
    if negs:
        out.append(
            Flag(
                "negation",
                negs[0],
                f"the omitted rest of the sentence negates it ({negs[0]!r}): "
                "it may say the opposite",
            )
        )
    if alt := _ALTERNATIVE_BEFORE.search(before):
        cue = alt.group(0).strip(" ,")
        out.append(
            Flag(
                "alternative",
                cue,
                f"a branch of a disjunction ({cue!r}): the sentence does not assert it alone",
            )
        )
    if hyp := _cue(_HYPOTHETICAL, near):
        out.append(
            Flag(
                "hypothetical",
                hyp,
                f"the omitted words offer it as a possibility ({hyp!r}), not as a fact",
            )
        )
    if cf := _cue(_COUNTERFACTUAL, s[lo:hi]):
        out.append(
            Flag(
                "counterfactual",
                cf,
                f"a counterfactual ({cf!r}): what would follow under a supposition, not what is",
            )
        )
    ends_q = s.rstrip("\"')] ").endswith("?") and not q.rstrip("\"' ").endswith("?")
    qcue = "?" if ends_q else _cue(_QUESTION, omitted)
    if qcue:
        out.append(Flag("question", qcue, f"part of a question ({qcue!r}): asked, not asserted"))
    rep = (
        _cue(_REPORTED_BEFORE, before)
        or _cue(_REPORTED_AFTER, s[qe:hi])
        or _cue(_REPORTED_ANYWHERE, before + " " + after)
    )
    if rep:
        out.append(
            Flag(
                "reported",
                rep,
                f"the omitted words attribute it to someone ({rep!r}): whose claim it is, "
                "and whether the author accepts it, is left out",
            )
        )
    return out


def _in_quotation(seg: Segmented, ctx: Context) -> bool:
    """Whether the quote starts inside double quotation marks of its paragraph.

    Counts straight double quotes (curly ones are straightened by normalisation) from the
    paragraph's start to the quote's start; an odd count means an open quotation. Scare quotes
    around a word or two before the quote are closed again, so they do not count.
    """
    head = seg.text[ctx.paragraph.start : ctx.quote.start]
    return head.count('"') % 2 == 1


# --------------------------------------------------------------------------- assembly


@dataclass(frozen=True)
class CitedContext:
    """One cited judgment, read in context (``found`` False: the quote is not in the text)."""

    field: str
    target: str | None
    line: int | None
    number: str | None
    doc: str
    quote: str
    found: bool
    reason: str = ""
    sentence: str = ""
    sentence_start: int = -1
    quote_start: int = -1
    quote_end: int = -1
    paragraph_start: int = -1
    paragraph_end: int = -1
    occurrences: int = 0
    flags: tuple[Flag, ...] = ()

    @property
    def flagged(self) -> tuple[Flag, ...]:
        """The flags that count (notes left out)."""
        return tuple(f for f in self.flags if not f.is_note)

    def highlighted(self) -> tuple[str, str, str]:
        """The sentence cut into (before the quote, the quote, after the quote)."""
        if not self.found:
            return ("", self.quote, "")
        a = self.quote_start - self.sentence_start
        b = self.quote_end - self.sentence_start
        return (self.sentence[:a], self.sentence[a:b], self.sentence[b:])

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "target": self.target,
            "line": self.line,
            "number": self.number,
            "doc": self.doc,
            "quote": self.quote,
            "found": self.found,
            "reason": self.reason,
            "sentence": self.sentence,
            "offsets": {
                "quote": [self.quote_start, self.quote_end],
                "sentence": [self.sentence_start, self.sentence_start + len(self.sentence)],
                "paragraph": [self.paragraph_start, self.paragraph_end],
            }
            if self.found
            else None,
            "occurrences": self.occurrences,
            "flags": [f.to_dict() for f in self.flags],
        }


def context_of(citation: Citation, seg: Segmented | None, reason: str = "") -> CitedContext:
    """A citation read in ``seg`` (None: its source text is missing, for ``reason``)."""
    base = CitedContext(
        field=citation.field,
        target=citation.target,
        line=citation.line,
        number=citation.number,
        doc=citation.doc,
        quote=citation.quote,
        found=False,
    )
    if seg is None:
        return replace(base, reason=reason or f"unknown source {citation.doc!r}")
    ctx = context(seg, citation.quote)
    if ctx is None:
        return replace(base, reason="not found verbatim in the source text")
    sent = ctx.sentence_span()
    sentence = seg.text[sent.start : sent.end]
    return replace(
        base,
        found=True,
        sentence=sentence,
        sentence_start=sent.start,
        quote_start=ctx.quote.start,
        quote_end=ctx.quote.end,
        paragraph_start=ctx.paragraph.start,
        paragraph_end=ctx.paragraph.end,
        occurrences=ctx.occurrences,
        flags=tuple(flags(citation.quote, sentence, in_quotation=_in_quotation(seg, ctx))),
    )


def cite_contexts(loaded: LoadedScenario, sources_dir: str | Path) -> list[CitedContext]:
    """Every cited judgment of a loaded scenario (as ``check_citations`` lists them), in context."""
    raw_texts, reasons = read_sources(loaded.scenario, sources_dir)
    segs = {doc: (segment(t) if t is not None else None) for doc, t in raw_texts.items()}
    return [context_of(c, segs.get(c.doc), reasons.get(c.doc, "")) for c in cited_quotes(loaded)]


# --------------------------------------------------------------------------- presentation


def to_json(items: Sequence[CitedContext]) -> dict[str, Any]:
    """The JSON of ``cite --context --format json``: the judgments and the counts."""
    return {
        "judgments": [c.to_dict() for c in items],
        "quotes": len(items),
        "found": sum(c.found for c in items),
        "flagged": sum(bool(c.flagged) for c in items),
    }


def summary_line(items: Sequence[CitedContext]) -> str:
    found = sum(c.found for c in items)
    flagged = sum(bool(c.flagged) for c in items)
    return (
        f"{found} of {len(items)} quotes found verbatim; "
        f"{flagged} flagged as fragments read against their sentence"
    )


def _heading(c: CitedContext) -> str:
    where = c.field + (f" ({c.target})" if c.target else "")
    line = f" [line {c.line}]" if c.line else ""
    return f"{where}{line} = {c.number if c.number is not None else '—'}   [{c.doc}]"


def render_text(items: Sequence[CitedContext]) -> str:
    """A plain layout: per judgment, its path and number, the sentence with the quote in »…«,
    and its flags; then the summary line."""
    lines: list[str] = []
    for c in items:
        lines.append(_heading(c))
        if c.found:
            a, q, b = c.highlighted()
            lines.append(f"    {a}»{q}«{b}")
            if c.occurrences > 1:
                lines.append(f"    (the quote occurs {c.occurrences} times; the first is shown)")
        else:
            lines.append(f'    NOT FOUND ({c.reason}): "{c.quote}"')
        for f in c.flags:
            lines.append(f"    {'note' if f.is_note else 'FLAG'} {f.kind}: {f.explanation}")
        lines.append("")
    lines.append(summary_line(items))
    return "\n".join(lines) + "\n"


def render_rich(items: Sequence[CitedContext]) -> list[Text]:
    """The same layout as Rich text: the quote bold inside its dimmed sentence, flags in red.

    Built with :class:`rich.text.Text` pieces (never markup), so source and scenario text print
    literally, brackets and all.
    """
    out: list[Text] = []
    for c in items:
        out.append(Text(_heading(c), style="bold cyan"))
        if c.found:
            a, q, b = c.highlighted()
            out.append(Text.assemble("    ", (a, "dim"), (q, "bold yellow"), (b, "dim")))
            if c.occurrences > 1:
                out.append(
                    Text(f"    (the quote occurs {c.occurrences} times; the first is shown)")
                )
        else:
            out.append(Text(f'    NOT FOUND ({c.reason}): "{c.quote}"', style="bold red"))
        for f in c.flags:
            label = "note" if f.is_note else "FLAG"
            style = "blue" if f.is_note else "bold red"
            out.append(Text.assemble("    ", (f"{label} {f.kind}", style), f": {f.explanation}"))
        out.append(Text(""))
    out.append(Text(summary_line(items)))
    return out
