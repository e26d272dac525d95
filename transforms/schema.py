"""The extraction schema: one pydantic model, from which the JSON schema for structured outputs is
generated. Bounded (maxItems, maxLength) so a small model cannot loop forever inside it."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from transforms.keys import content_hash

SCHEMA_VERSION = "1.0"

_Short = Field(max_length=60)
_Evidence = Field(max_length=160, description="verbatim words copied from the note")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Medication(_Strict):
    name: str = Field(min_length=1, max_length=60)
    dose: str = Field(max_length=30, description="e.g. '500 mg'; empty if not written")
    route: str = Field(max_length=20, description="e.g. 'oral'; empty if not written")
    frequency: str = Field(max_length=30, description="e.g. 'twice daily'; empty if not written")
    evidence: str = _Evidence


class Diagnosis(_Strict):
    name: str = Field(min_length=1, max_length=80)
    evidence: str = _Evidence


class Extraction(_Strict):
    medications: list[Medication] = Field(max_length=8)
    diagnoses: list[Diagnosis] = Field(max_length=8)
    smoking_status: Literal["current", "former", "never", "unknown"]


def extraction_json_schema() -> dict:
    return Extraction.model_json_schema()


def schema_fingerprint() -> str:
    return content_hash(json.dumps(extraction_json_schema(), sort_keys=True))
