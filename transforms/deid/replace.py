"""The replacement pass: found spans become surrogates (consistent per patient), type tags or masks,
written by Presidio's AnonymizerEngine; dates move by the patient's keyed shift."""

from __future__ import annotations

from presidio_analyzer import RecognizerResult
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig

from transforms.deid import surrogates
from transforms.deid.dates import shift_date_text
from transforms.deid.normalize import reader_form
from transforms.deid.spans import segments
from transforms.keys import keyed_int, subkey
from transforms.records import PhiSpan


def date_shift_days(secret: bytes, scope: str, max_days: int) -> int:
    """One non-zero offset per patient in [-max_days, max_days]; intervals between dates hold."""
    if max_days <= 0:
        return 0
    n = keyed_int(subkey(secret, "date-shift"), "date-shift", scope) % (2 * max_days) - max_days
    return n if n < 0 else n + 1


def mask(value: str) -> str:
    return "".join("*" if c.isalnum() else c for c in value)


def shifted(value: str, shift: int) -> str:
    """A date moved by the scope's shift. One whose written form the shift leaves as it was
    ("November 2020" moved by a few days) is "[DATE]": the text would otherwise still show it."""
    out = shift_date_text(value, shift)
    if not out or " ".join(out.lower().split()) == " ".join(value.lower().split()):
        return "[DATE]"
    return out


def operator(mode: str, secret: bytes, entity: str, scope: str, shift: int,
             real_names: frozenset[str] = frozenset()) -> OperatorConfig:  # fmt: skip
    """How one entity type is written in `mode`: a type tag (redact), stars (mask), or a surrogate
    keyed by the site secret and the scope (surrogate; a name never becomes one of `real_names`)."""
    if mode == "redact":
        return OperatorConfig("replace", {"new_value": f"[{entity}]"})
    if mode == "mask":
        return OperatorConfig("custom", {"lambda": mask})
    key = subkey(secret, "surrogate")
    fn = {
        "PERSON": lambda v: surrogates.surrogate_name(v, key, scope, real_names),
        "DATE": lambda v: shifted(v, shift),
        "AGE": lambda v: "90+",
        "EMAIL": lambda v: surrogates.surrogate_email(v, key, scope),
        "URL": lambda v: surrogates.surrogate_url(v, key, scope),
        "ADDRESS": lambda v: surrogates.surrogate_place(v, key, scope, "ADDRESS"),
        "LOCATION": lambda v: surrogates.surrogate_place(v, key, scope, "LOCATION"),
        "ORGANIZATION": lambda v: surrogates.surrogate_place(v, key, scope, "ORGANIZATION"),
    }.get(entity, lambda v, e=entity: surrogates.surrogate_shape(v, key, scope, e))
    return OperatorConfig("custom", {"lambda": lambda v: fn(reader_form(v))})


def anonymize(text: str, spans: list[PhiSpan], operators: dict[str, OperatorConfig], anonymizer: AnonymizerEngine,
              segment: int) -> tuple[str, list[tuple[int, int, int, int]]]:  # fmt: skip
    """`text` with every span replaced by its entity's operator, in line-aligned segments of at most
    `segment` characters that never cut a span; and (output start, output end, original start,
    original end) for each replaced span, in text order."""
    pieces: list[str] = []
    replaced: list[tuple[int, int, int, int]] = []
    out_len = 0
    for off, seg in segments(text, segment, avoid=spans):
        inside = [RecognizerResult(x.entity_type, x.start - off, x.end - off, x.score)
                  for x in spans if off <= x.start and x.end <= off + len(seg)]  # fmt: skip
        if inside:
            # only the operators in use: Presidio deep-copies every operator it is given
            used = {e: operators[e] for e in {r.entity_type for r in inside}}
            res = anonymizer.anonymize(text=seg, analyzer_results=inside, operators=used,
                                       merge_entities_with_spaces=False)  # keep 1:1 with spans
            # items and spans are both non-overlapping and in text order: pair them up
            for it, x in zip(sorted(res.items, key=lambda i: i.start), sorted(inside, key=lambda r: r.start),
                             strict=True):  # fmt: skip
                replaced.append((out_len + it.start, out_len + it.end, off + x.start, off + x.end))
            seg = res.text
        pieces.append(seg)
        out_len += len(seg)
    return "".join(pieces), sorted(replaced)
