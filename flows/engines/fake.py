"""A deterministic engine for unit tests, with fault-injection knobs.

It answers with schema-valid JSON built from simple patterns in the note ("<drug> <n> mg",
"Assessment:"/"Diagnosis:" lines, where "no"/"denies", "history of"/"h/o"/"s/p" and "family history
of"/"mother with" mark negated, historical and family-history diagnoses; smoking words), quoting
the note so grounding works. Faults are
decided by a hash of the prompt, so they are reproducible: fail_prob raises TransientError,
invalid_json_prob returns broken JSON, truncate_prob returns finish_reason="length" unless the
request's budget is at least `truncate_below` (so a retry with a larger budget succeeds);
drift_prob answers without diagnoses and with empty medication doses (for the drift monitor).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from transforms.engine import EngineInfo, GenerationRequest, GenerationResult
from transforms.errors import TransientError

if TYPE_CHECKING:
    from flows.settings import InferenceSettings


class FakeEngineConfig(BaseModel):
    """The fake engine's fault knobs (settings.inference.fake; env CHARTSIFT_INFERENCE__FAKE__*).
    Other engines ignore them, and they are not in the settings fingerprint: when any is set, the
    fake's model revision names them, so provenance shows which facts came from a faulty fake."""

    fail_prob: float = Field(0.0, ge=0, le=1, description="Share of generate calls that raise TransientError.")
    invalid_json_prob: float = Field(0.0, ge=0, le=1, description="Share of answers that are invalid JSON.")
    truncate_prob: float = Field(0.0, ge=0, le=1, description="Share of answers truncated (unless the budget is the retry's).")
    delay_s: float = Field(0.0, ge=0, le=60, description="Seconds each generate call takes (crash drills).")
    token_delay_s: float = Field(0.0, ge=0, le=1, description="Seconds per generated token, sequential (a stand-in for a model's decode time: bench pipeline).")
    drift_prob: float = Field(0.0, ge=0, le=1, description="Share of answers that drift (no diagnoses, no doses).")

_MED = re.compile(
    r"\b((?:[A-Za-z][a-z]{3,} )?(?:patch|inhaler)|[A-Za-z][a-z]{3,})\s+(\d+(?:\.\d+)?\s?(?:mg|mcg|g|units|mL|%))\b"
    r"(?:\s+(by mouth|orally|po|iv|subcutaneously|inhaled|topically))?"
    r"(?:\s+((?:once|twice|three times|four times) (?:daily|a day)|daily|nightly|every \d+ hours|as needed|bid|tid|qid|qhs|prn))?",
    re.IGNORECASE,
)
_DX = re.compile(r"^(?:assessment|diagnos[ie]s|impression|problem)s?\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE)
_SMOKE = [("never", r"\bnever smoke[dr]|non-?smoker\b"), ("former", r"\bformer smoker|quit smoking|ex-smoker\b"),
          ("current", r"\bcurrent(?:ly)? smok|\bsmokes\b|pack[- ]?years?\b")]  # fmt: skip


def _roll(text: str, salt: str) -> float:
    return int.from_bytes(hashlib.sha256((salt + text).encode()).digest()[:4], "big") / 2**32


class FakeEngine:
    def __init__(self, fail_prob: float = 0.0, invalid_json_prob: float = 0.0, truncate_prob: float = 0.0,
                 truncate_below: int = 512, max_model_len: int = 4096, name: str = "fake-extractor",
                 drift_prob: float = 0.0, delay_s: float = 0.0, token_delay_s: float = 0.0):  # fmt: skip
        self.fail_prob = fail_prob
        self.delay_s = delay_s
        self.token_delay_s = token_delay_s
        self.drift_prob = drift_prob
        self.invalid_json_prob = invalid_json_prob
        self.truncate_prob = truncate_prob
        self.truncate_below = truncate_below
        faults = (fail_prob, invalid_json_prob, truncate_prob, drift_prob)
        revision = "1" if not any(faults) else "1+faults-" + "-".join(f"{x:g}" for x in faults)
        self.info = EngineInfo("fake", f"chartsift/{name}", revision, max_model_len)
        self.calls = 0

    @classmethod
    def from_settings(cls, settings: InferenceSettings, name: str = "fake") -> FakeEngine:
        f = settings.fake
        return cls(f.fail_prob, f.invalid_json_prob, f.truncate_prob, truncate_below=settings.retry_max_tokens,
                   max_model_len=settings.max_model_len, drift_prob=f.drift_prob, delay_s=f.delay_s,
                   token_delay_s=f.token_delay_s)  # fmt: skip

    def count_tokens(self, messages: list[dict[str, str]]) -> int:
        return sum(len(m["content"]) for m in messages) // 4 + 4 * len(messages)

    def generate(self, requests: list[GenerationRequest]) -> list[GenerationResult]:
        self.calls += 1
        if self.delay_s:
            time.sleep(self.delay_s)
        out = []
        for r in requests:
            note = r.messages[-1]["content"].split("Note:\n", 1)[-1]
            if _roll(note, f"fail{self.calls}") < self.fail_prob:
                raise TransientError("fake engine: injected transient failure")
            ptoks = self.count_tokens(r.messages)
            if _roll(note, "json") < self.invalid_json_prob:
                out.append(GenerationResult('{"medications": [{"name": ', "stop", ptoks, 8))
                continue
            answer = self._answer(note)
            if _roll(note, "drift") < self.drift_prob:  # a model gone wrong: no diagnoses, doses left out
                answer["diagnoses"] = []
                for m in answer["medications"]:
                    m.update(dose="", route="", frequency="")
            answer = json.dumps(answer, separators=(",", ":"))
            if _roll(note, "trunc") < self.truncate_prob and r.max_tokens < self.truncate_below:
                out.append(GenerationResult(answer[: len(answer) // 2], "length", ptoks, r.max_tokens))
                continue
            out.append(GenerationResult(answer, "stop", ptoks, len(answer) // 4))
        if self.token_delay_s:
            time.sleep(self.token_delay_s * sum(r.generated_tokens for r in out))
        return out

    @staticmethod
    def _answer(note: str) -> dict:
        meds = []
        for m in _MED.finditer(note):
            if len(meds) == 8:
                break
            meds.append({"name": m.group(1), "dose": m.group(2), "route": m.group(3) or "",
                         "frequency": m.group(4) or "", "status": "active", "evidence": m.group(0)[:160]})  # fmt: skip
        dxs = []
        for m in _DX.finditer(note):
            for part in re.split(r"[;,]|\.\s", m.group(1)):
                part = part.strip(" .")
                if 2 < len(part) <= 80 and len(dxs) < 8:
                    low = part.lower()
                    family = low.startswith(("family history of ", "mother with ", "father with "))
                    historical = low.startswith(("history of ", "h/o ", "s/p "))
                    dxs.append({"name": part, "status": "active", "negated": low.startswith(("no ", "denies ")),
                                "historical": historical, "family_history": family, "evidence": part})  # fmt: skip
        smoking = "unknown"
        for status, rx in _SMOKE:
            if re.search(rx, note, re.IGNORECASE):
                smoking = status
                break
        vitals = [{"name": "blood_pressure", "value": m.group(1), "unit": "mmHg", "evidence": m.group(0)}
                  for m in re.finditer(r"\bBP:? (\d{2,3}/\d{2,3})", note)][:8]  # fmt: skip
        return {"medications": meds, "diagnoses": dxs, "procedures": [], "labs": [], "vitals": vitals,
                "allergies": [], "smoking_status": smoking}  # fmt: skip
