"""Score a de-identifier against gold PHI spans.

- recall / precision are over alphanumeric characters: a gold character is caught if any
  predicted span covers it; a predicted character is correct if it lies in any gold span (of any
  type: masking a name as an ID still protects it). Per-type recall uses the gold type, per-type
  precision the predicted type.
- span_recall: share of gold spans whose every alphanumeric character is covered.
- leaks: gold PHI strings (alphanumeric, 2+ characters) still present verbatim in the output text,
  outside what de-identification wrote: a surrogate that happens to equal a gold string ("Morgan"
  for another note's Morgan) is not a leak, so the count does not depend on the key.
- Safe Harbor: gold AGE spans under 90 are not identifiers under HIPAA Safe Harbor and are left
  out of scoring when `safe_harbor_ages` is on (the Synthea gold marks every age).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field


@dataclass
class Score:
    tp: int = 0
    fn: int = 0
    fp: int = 0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0


@dataclass
class Evaluation:
    overall: Score = field(default_factory=Score)
    by_gold_type: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))
    by_pred_type: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))
    spans_total: int = 0
    spans_caught: int = 0
    leaks: int = 0
    notes: int = 0
    leaked_types: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def span_recall(self) -> float:
        return self.spans_caught / self.spans_total if self.spans_total else 1.0


def scorable_gold(phi: list[dict], safe_harbor_ages: bool = True) -> list[dict]:
    out = []
    for p in phi:
        if safe_harbor_ages and p["type"] == "AGE":
            digits = "".join(c for c in p.get("text", "") if c.isdigit())
            if digits and int(digits) < 90:
                continue
        out.append(p)
    return out


def score_note(ev: Evaluation, text: str, gold: list[dict], predicted: list[tuple[int, int, str]],
               output_text: str, written: list[tuple[int, ...]] = ()) -> None:  # fmt: skip
    """Add one note's figures; `written` holds the (start, end, ...) ranges of `output_text` that
    de-identification wrote (DeidResult.replaced), left out of the leak search."""
    ev.notes += 1
    output_text = _blank(output_text, written)
    pred_type = [None] * len(text)
    for s, e, t in predicted:
        for i in range(max(0, s), min(e, len(text))):
            pred_type[i] = t
    gold_type = [None] * len(text)
    for g in gold:
        for i in range(g["start"], g["end"]):
            gold_type[i] = g["type"]
    for i, ch in enumerate(text):
        if not ch.isalnum():
            continue
        g, p = gold_type[i], pred_type[i]
        if g is not None and p is not None:
            ev.overall.tp += 1
            ev.by_gold_type[g].tp += 1
            ev.by_pred_type[p].tp += 1
        elif g is not None:
            ev.overall.fn += 1
            ev.by_gold_type[g].fn += 1
        elif p is not None:
            ev.overall.fp += 1
            ev.by_pred_type[p].fp += 1
    for g in gold:
        ev.spans_total += 1
        if all(pred_type[i] is not None for i in range(g["start"], g["end"]) if text[i].isalnum()):
            ev.spans_caught += 1
        value = text[g["start"] : g["end"]]
        if g["type"] == "AGE" and value.isdigit() and int(value) >= 90:
            leaked = _contains_word(output_text.replace("90+", ""), value)  # "90+" is the intended rendering
        else:
            leaked = sum(c.isalnum() for c in value) >= 2 and _contains_word(output_text, value)
        if leaked:
            ev.leaks += 1
            ev.leaked_types[g["type"]] += 1


def _blank(text: str, ranges: list[tuple[int, ...]]) -> str:
    if not ranges:
        return text
    chars = list(text)
    for start, end, *_ in ranges:
        chars[start:end] = "\x00" * (end - start)
    return "".join(chars)


def _contains_word(haystack: str, needle: str) -> bool:
    start = haystack.find(needle)
    while start >= 0:
        before = haystack[start - 1] if start > 0 else " "
        after = haystack[start + len(needle)] if start + len(needle) < len(haystack) else " "
        if not (before.isalnum() and needle[0].isalnum()) and not (after.isalnum() and needle[-1].isalnum()):
            return True
        start = haystack.find(needle, start + 1)
    return False


def report_lines(ev: Evaluation) -> list[str]:
    lines = [f"{'type':<14}{'gold_chars':>11}{'recall':>9}{'pred_chars':>11}{'precision':>10}"]
    for t in sorted(set(ev.by_gold_type) | set(ev.by_pred_type)):
        g, p = ev.by_gold_type.get(t, Score()), ev.by_pred_type.get(t, Score())
        lines.append(f"{t:<14}{g.tp + g.fn:>11}{g.recall:>9.4f}{p.tp + p.fp:>11}{p.precision:>10.4f}")
    lines.append(f"leaked spans by type: {dict(ev.leaked_types) or 'none'}")
    lines.append(f"recall={ev.overall.recall:.4f} precision={ev.overall.precision:.4f} "
                 f"span_recall={ev.span_recall:.4f} leaks={ev.leaks} notes={ev.notes}")  # fmt: skip
    return lines
