"""Score extracted medications and diagnoses against gold lists (e.g. the Synthea gold's
medications_prescribed + medications_listed and conditions_diagnosed).

Names match after normalisation (lower case, parenthesised qualifiers such as "(disorder)" and
dose/form words dropped) when one name's words are contained in the other's, or their word
overlap is at least half. Dose is scored only where the gold has one (a dose field, or the strength in an RxNorm name)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_DROP = set("""mg mcg g ml ml/hr unit units hr hour hours oral tablet tablets capsule capsules extended release
delayed injection injectable solution suspension inhaler inhalation actuat topical cream ointment patch
transdermal day daily twice per as needed of and the with in prefilled syringe pen auto-injector
hydrochloride hcl sodium potassium disorder finding situation procedure morphologic abnormality""".split())


def normalize(name: str) -> frozenset[str]:
    name = re.sub(r"\([^)]*\)", " ", name.lower())
    words = re.findall(r"[a-z][a-z\-]+", name)
    return frozenset(w for w in words if w not in _DROP and len(w) > 2)


def names_match(a: str, b: str) -> bool:
    x, y = normalize(a), normalize(b)
    if not x or not y:
        return False
    return x <= y or y <= x or len(x & y) / len(x | y) >= 0.5


def _dose(text: str) -> str:
    m = re.search(r"(\d+(?:\.\d+)?)\s*(mg|mcg|g|ml|units?)\b", text.lower())
    return f"{float(m.group(1)):g} {m.group(2)}" if m else ""


@dataclass
class TypeScore:
    gold: int = 0
    extracted: int = 0
    matched_gold: int = 0
    matched_extracted: int = 0
    dose_scored: int = 0
    dose_correct: int = 0

    @property
    def recall(self) -> float:
        return self.matched_gold / self.gold if self.gold else 1.0

    @property
    def precision(self) -> float:
        return self.matched_extracted / self.extracted if self.extracted else 1.0


@dataclass
class ExtractEvaluation:
    by_type: dict[str, TypeScore] = field(default_factory=lambda: {"medication": TypeScore(), "diagnosis": TypeScore()})
    notes: int = 0
    errors: int = 0


def gold_items(gold: dict) -> dict[str, list[dict]]:
    meds: list[dict] = []
    for m in (gold.get("medications_prescribed") or []) + (gold.get("medications_listed") or []):
        if not any(names_match(m["name"], x["name"]) for x in meds):
            meds.append(m)
    return {"medication": meds, "diagnosis": list(gold.get("conditions_diagnosed") or [])}


def score_note(ev: ExtractEvaluation, gold: dict, facts: list[dict], error: str | None) -> None:
    ev.notes += 1
    ev.errors += error is not None
    items = gold_items(gold)
    for kind, score in ev.by_type.items():
        # gold conditions are the patient's own: a negated or family-history mention is not one
        extracted = [f for f in facts if f["fact_type"] == kind
                     and not (kind == "diagnosis" and {f["attributes"].get("negated"), f["attributes"].get("family_history")} & {"true"})]  # fmt: skip
        golds = items[kind]
        score.gold += len(golds)
        score.extracted += len(extracted)
        score.matched_extracted += sum(any(names_match(f["name"], g["name"]) for g in golds) for f in extracted)
        for g in golds:
            hits = [f for f in extracted if names_match(f["name"], g["name"])]
            if hits:
                score.matched_gold += 1
                gold_dose = _dose(str(g.get("dose") or "")) or _dose(g["name"])  # RxNorm names carry the strength
                if kind == "medication" and gold_dose:
                    score.dose_scored += 1
                    score.dose_correct += any(_dose(h["attributes"].get("dose", "")) == gold_dose for h in hits)


def report_lines(ev: ExtractEvaluation) -> list[str]:
    lines = [f"{'type':<12}{'gold':>6}{'extracted':>10}{'precision':>10}{'recall':>8}{'dose_acc':>10}"]
    for kind, s in ev.by_type.items():
        dose = f"{s.dose_correct / s.dose_scored:.3f}" if s.dose_scored else "-"
        lines.append(f"{kind:<12}{s.gold:>6}{s.extracted:>10}{s.precision:>10.3f}{s.recall:>8.3f}{dose:>10}")
    m, d = ev.by_type["medication"], ev.by_type["diagnosis"]
    lines.append(f"medication_precision={m.precision:.3f} medication_recall={m.recall:.3f} "
                 f"diagnosis_precision={d.precision:.3f} diagnosis_recall={d.recall:.3f} "
                 f"extraction_errors={ev.errors} notes={ev.notes}")  # fmt: skip
    return lines
