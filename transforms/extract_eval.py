"""Score extracted facts against gold: the full extraction target of the project's corpus
(`target`, every fact type with its attributes; benchmarks/extract_corpus.py) or, for the Synthea
gold, its medication and condition lists (`gold`: medications_prescribed + medications_listed,
conditions_diagnosed).

What is scored is what a researcher receives: the grounded facts (codes.GROUNDED), the ones that
enter `facts`. The grounded rate says how many of the model's facts that is; "copied from the
prompt example" counts facts naming a thing from a shipped template's worked example that the note
does not mention.

Names match after normalisation (lower case, parenthesised qualifiers such as "(disorder)" and
dose/form words dropped) when one name's words are contained in the other's, or their word
overlap is at least half; vitals and smoking status match by their code. Precision counts an
extracted fact correct when it matches any gold fact of its type; recall, a gold fact found when any
extracted fact matches it. Attributes are scored on those pairs, where the gold has a value (a
flag such as negated, and a medication's status, always)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache

from transforms.codes import GROUNDED
from transforms.prompts import TEMPLATE_DIR, load_template
from transforms.schema import FACT_TYPES

_DROP = set("""mg mcg g ml ml/hr unit units hr hour hours oral tablet tablets capsule capsules extended release
delayed injection injectable solution suspension inhaler inhalation actuat topical cream ointment patch
transdermal day daily twice per as needed of and the with in prefilled syringe pen auto-injector
hydrochloride hcl sodium potassium disorder finding situation procedure morphologic abnormality""".split())

_TARGET_KEYS = {"medications": "medication", "diagnoses": "diagnosis", "procedures": "procedure", "labs": "lab",
                "vitals": "vital", "allergies": "allergy"}  # fmt: skip
# attributes scored per type, where the gold has a value; flags (booleans) on every matched pair
ATTRIBUTES = {"medication": ("dose", "route", "frequency", "status"), "diagnosis": ("negated", "historical", "family_history"),
              "lab": ("value", "flag"), "vital": ("value",), "allergy": ("reaction",)}  # fmt: skip
_ROUTES = {"po": "oral", "by mouth": "oral", "orally": "oral", "oral": "oral", "iv": "iv", "intravenous": "iv",
           "intravenously": "iv", "sc": "sc", "subcut": "sc", "subcutaneous": "sc", "subcutaneously": "sc", "sq": "sc",
           "im": "im", "intramuscular": "im", "inh": "inhaled", "inhaled": "inhaled", "topical": "topical"}  # fmt: skip


def normalize(name: str) -> frozenset[str]:
    name = re.sub(r"\([^)]*\)", " ", name.lower())
    words = re.findall(r"[a-z][a-z\-]+", name)
    return frozenset(w for w in words if w not in _DROP and len(w) > 2)


def names_match(a: str, b: str) -> bool:
    x, y = normalize(a), normalize(b)
    if not x or not y:  # short names ("A1c", "INR"): the same string
        return bool(a.strip()) and a.strip().lower() == b.strip().lower()
    return x <= y or y <= x or len(x & y) / len(x | y) >= 0.5


def _same(kind: str, a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower() if kind in ("vital", "smoking_status") else names_match(a, b)


def _dose(text: str) -> str:
    m = re.search(r"(\d+(?:\.\d+)?)\s*(mg|mcg|g|ml|units?)\b", text.lower())
    return f"{float(m.group(1)):g} {m.group(2)}" if m else ""


def _norm(attr: str, value: str) -> str:
    v = " ".join(re.sub(r"[.,]", " ", str(value).lower()).split())
    if attr == "dose":
        return _dose(v) or v
    if attr == "route":
        return _ROUTES.get(v, v)
    if attr in ("value", "unit"):
        return v.replace(" ", "")
    return v


@dataclass
class TypeScore:
    gold: int = 0
    extracted: int = 0
    matched_gold: int = 0
    matched_extracted: int = 0
    attributes: dict[str, list[int]] = field(default_factory=dict)  # attr -> [scored, correct]

    @property
    def recall(self) -> float:
        return self.matched_gold / self.gold if self.gold else 1.0

    @property
    def precision(self) -> float:
        return self.matched_extracted / self.extracted if self.extracted else 1.0

    def accuracy(self, attr: str) -> float | None:
        scored, correct = self.attributes.get(attr, (0, 0))
        return correct / scored if scored else None


@dataclass
class ExtractEvaluation:
    by_type: dict[str, TypeScore] = field(default_factory=dict)  # the types the gold covers
    notes: int = 0
    errors: int = 0
    facts: int = 0  # every fact the model gave
    grounded: int = 0  # ... of which grounded (what enters `facts`)
    copied: int = 0  # grounded or not, naming a prompt example's thing the note does not mention

    @property
    def grounded_rate(self) -> float:
        return self.grounded / self.facts if self.facts else 1.0


def gold_items(gold: dict) -> dict[str, list[dict]]:
    """The Synthea gold's lists as medication and diagnosis gold (duplicate medications merged)."""
    meds: list[dict] = []
    for m in (gold.get("medications_prescribed") or []) + (gold.get("medications_listed") or []):
        if not any(names_match(m["name"], x["name"]) for x in meds):
            meds.append({"name": m["name"], "dose": m.get("dose") or _dose(m["name"])})  # RxNorm names carry the strength
    return {"medication": meds, "diagnosis": [{"name": c["name"]} for c in gold.get("conditions_diagnosed") or []]}


def gold_facts(record: dict) -> tuple[dict[str, list[dict]], bool]:
    """Gold per fact type, each {"name", attribute: value...}, and whether it is a full target
    (every fact type, negated and family-history mentions included)."""
    target = record.get("target")
    if not target:
        return gold_items(record.get("gold") or {}), False
    out: dict[str, list[dict]] = {t: [] for t in FACT_TYPES}
    for key, kind in _TARGET_KEYS.items():
        for item in target.get(key) or []:
            name = item.get("name") or item.get("substance") or ""
            out[kind].append({**{k: v for k, v in item.items() if k not in ("substance", "evidence")}, "name": name})
    if target.get("smoking_status", "unknown") != "unknown":
        out["smoking_status"].append({"name": target["smoking_status"]})
    return out, True


@cache
def example_facts() -> frozenset[tuple[str, str]]:
    """(fact type, name, or a vital's value) in the worked examples of the shipped prompt
    templates: what a model copies. Vitals are codes ("blood_pressure"), so their value is what
    gives a copy away."""
    found = set()
    for path in sorted(TEMPLATE_DIR.glob("*.txt")):
        answer = load_template(path.stem).example_answer
        for key, items in (json.loads(answer) if answer else {}).items():
            for item in items if isinstance(items, list) else []:
                kind = _TARGET_KEYS.get(key, key)
                thing = item.get("value") if kind == "vital" else item.get("name") or item.get("substance")
                if thing:
                    found.add((kind, str(thing).lower()))
    return frozenset(found)


def copied_from_example(fact: dict, note_text: str) -> bool:
    """The fact names a thing of a prompt example (a vital: its value) that the note does not hold."""
    kind = fact["fact_type"]
    thing = (fact["attributes"].get("value", "") if kind == "vital" else fact["name"]).lower()
    if not thing or thing in note_text.lower():
        return False
    return any(k == kind and (thing == e if kind == "vital" else names_match(thing, e)) for k, e in example_facts())


def _score_attributes(score: TypeScore, kind: str, gold: dict, hits: list[dict]) -> None:
    for attr in ATTRIBUTES.get(kind, ()):
        want = gold.get(attr)
        if want is None:
            continue  # the gold does not record it (the Synthea lists have no status)
        if isinstance(want, bool):  # a flag: present as "true" only when set
            want = "true" if want else ""
        elif not str(want).strip():
            continue  # not written in the note: nothing to score
        scored_correct = score.attributes.setdefault(attr, [0, 0])
        scored_correct[0] += 1
        scored_correct[1] += any(_norm(attr, h["attributes"].get(attr, "")) == _norm(attr, str(want)) for h in hits)


def score_note(ev: ExtractEvaluation, record: dict, facts: list[dict], error: str | None, note_text: str = "") -> None:
    """Add one note: `record` holds `target` or `gold`; `facts` are every fact the model gave for it
    (grounded or not); `note_text` is the de-identified text the model read."""
    ev.notes += 1
    ev.errors += error is not None
    ev.facts += len(facts)
    ev.grounded += sum(f["grounding"] in GROUNDED for f in facts)
    ev.copied += sum(copied_from_example(f, note_text) for f in facts)
    golds_by_type, full = gold_facts(record)
    for kind, golds in golds_by_type.items():
        score = ev.by_type.setdefault(kind, TypeScore())
        extracted = [f for f in facts if f["fact_type"] == kind and f["grounding"] in GROUNDED]
        if kind == "diagnosis" and not full:  # Synthea's conditions are the patient's own
            extracted = [f for f in extracted
                         if not {f["attributes"].get("negated"), f["attributes"].get("family_history")} & {"true"}]  # fmt: skip
        score.gold += len(golds)
        score.extracted += len(extracted)
        score.matched_extracted += sum(any(_same(kind, f["name"], g["name"]) for g in golds) for f in extracted)
        for g in golds:
            hits = [f for f in extracted if _same(kind, f["name"], g["name"])]
            if hits:
                score.matched_gold += 1
                _score_attributes(score, kind, g, hits)


def figures(ev: ExtractEvaluation) -> dict[str, str]:
    """The evaluation as ordered rows (metric -> formatted value), for one column of the report."""
    out: dict[str, str] = {}
    for kind in [t for t in FACT_TYPES if t in ev.by_type]:
        s = ev.by_type[kind]
        out[f"{kind} gold / extracted"] = f"{s.gold} / {s.extracted}"
        out[f"{kind} precision"] = f"{s.precision:.3f}"
        out[f"{kind} recall"] = f"{s.recall:.3f}"
        for attr in ATTRIBUTES.get(kind, ()):
            acc = s.accuracy(attr)
            if acc is not None:
                out[f"{kind}.{attr} accuracy"] = f"{acc:.3f} ({s.attributes[attr][0]})"
    out["grounded rate"] = f"{ev.grounded_rate:.3f} ({ev.grounded} / {ev.facts})"
    out["copied from prompt example"] = str(ev.copied)
    out["extraction errors"] = str(ev.errors)
    out["notes"] = str(ev.notes)
    return out


def summary_line(ev: ExtractEvaluation) -> str:
    m = ev.by_type.get("medication", TypeScore())
    d = ev.by_type.get("diagnosis", TypeScore())
    dose = m.accuracy("dose")
    return (f"medication_precision={m.precision:.3f} medication_recall={m.recall:.3f} "
            f"medication_dose_accuracy={'-' if dose is None else f'{dose:.3f}'} "
            f"diagnosis_precision={d.precision:.3f} diagnosis_recall={d.recall:.3f} "
            f"grounded_rate={ev.grounded_rate:.3f} copied_from_example={ev.copied} "
            f"extraction_errors={ev.errors} notes={ev.notes}")  # fmt: skip


def report_lines(columns: list[tuple[str, dict[str, str]]]) -> list[str]:
    """Side by side: one column per run (label, figures), one row per metric."""
    rows: list[str] = []
    for _, figs in columns:
        rows += [k for k in figs if k not in rows]
    width = max(len(r) for r in rows) + 2
    cols = [max(len(label), *(len(f.get(r, "-")) for r in rows)) + 2 for label, f in columns]
    lines = ["metric".ljust(width) + "".join(label.rjust(w) for (label, _), w in zip(columns, cols, strict=True))]
    lines += [r.ljust(width) + "".join(f.get(r, "-").rjust(w) for (_, f), w in zip(columns, cols, strict=True))
              for r in rows]  # fmt: skip
    return lines
