"""Prompt templates are versioned files (transforms/prompt_templates/*.txt); prompt_version is their content
hash, so a changed prompt is a changed version in every fact row it produced."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from transforms.keys import content_hash

DEFAULT_TEMPLATE = "extract_v2"
TEMPLATE_DIR = Path(__file__).parent / "prompt_templates"
_SECTION = re.compile(r"^=== (\w+)\n", re.M)


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    system: str
    example_note: str
    example_answer: str
    user: str
    version: str

    def messages(self, note_text: str) -> list[dict[str, str]]:
        """System, the worked example (templates for a fine-tuned adapter have none), the note."""
        example = [
            {"role": "user", "content": self.user.replace("{note}", self.example_note)},
            {"role": "assistant", "content": self.example_answer},
        ] if self.example_note else []  # fmt: skip
        return [{"role": "system", "content": self.system}, *example,
                {"role": "user", "content": self.user.replace("{note}", note_text)}]  # fmt: skip


def load_template(name: str = DEFAULT_TEMPLATE) -> PromptTemplate:
    raw = (TEMPLATE_DIR / f"{name}.txt").read_text(encoding="utf-8")
    parts = _SECTION.split(raw)
    sections = {parts[i]: parts[i + 1].strip("\n") for i in range(1, len(parts), 2)}
    return PromptTemplate(
        name=name,
        system=sections["system"],
        example_note=sections.get("example_note", ""),
        example_answer=sections.get("example_answer", ""),
        user=sections["user"],
        version=f"{name}-{content_hash(raw, length=12)}",
    )
