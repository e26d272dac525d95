"""Training examples for LoRA fine-tuning of the extraction model, built from gold: the note as it
reaches the model (de-identified, in the adapter's prompt template) and its facts as the target
JSON in the exact form the engine decodes (the extraction schema, compact, schema key order).

A gold fact whose evidence no longer appears in the de-identified text (de-identification changed
a word of it) is dropped from the target and counted: the model is never taught to answer with
words the note it sees does not contain. Pure: no I/O, no torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from transforms.errors import ConfigError
from transforms.prompts import PromptTemplate
from transforms.schema import Extraction

_LISTS = ("medications", "diagnoses", "procedures", "labs", "vitals", "allergies")


@dataclass(frozen=True)
class TrainingExample:
    messages: list[dict[str, str]]  # system + user turns, as the engine sends them
    answer: str  # the assistant turn: compact extraction JSON


@dataclass
class ExampleStats:
    notes: int = 0
    facts: int = 0
    facts_dropped: int = 0  # evidence changed by de-identification
    by_type: dict[str, int] = field(default_factory=dict)


def target_json(target: dict, text: str, stats: ExampleStats) -> str:
    """The gold target as the engine's answer, keeping only facts whose evidence is in `text`."""
    kept: dict = {"smoking_status": target.get("smoking_status", "unknown")}
    for key in _LISTS:
        facts = target.get(key) or []
        ok = [f for f in facts if f.get("evidence") and f["evidence"] in text]
        stats.facts += len(ok)
        stats.facts_dropped += len(facts) - len(ok)
        stats.by_type[key] = stats.by_type.get(key, 0) + len(ok)
        kept[key] = ok
    try:
        return Extraction(**kept).model_dump_json()
    except ValidationError as exc:  # a gold file that does not fit the schema is a config error, not data
        fields = sorted({".".join(str(p) for p in e["loc"][:1]) for e in exc.errors()})
        raise ConfigError(f"a training target does not fit the extraction schema (fields: {', '.join(fields)})") from None


def build_examples(targets: list[dict], deid_texts: list[str], template: PromptTemplate) -> tuple[list[TrainingExample], ExampleStats]:
    """One example per note; `targets[i]` is the gold Extraction-shaped dict for `deid_texts[i]`."""
    stats = ExampleStats()
    examples = []
    for target, text in zip(targets, deid_texts, strict=True):
        stats.notes += 1
        examples.append(TrainingExample(template.messages(text), target_json(target, text, stats)))
    return examples, stats
