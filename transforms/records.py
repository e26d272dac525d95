"""The records that flow through a run. Plain dataclasses; text fields may hold PHI until de-identified."""

from __future__ import annotations

from dataclasses import dataclass

from transforms.codes import Reason, Stage


@dataclass(frozen=True)
class SourceNote:
    """One note as read from a source object, before de-identification (holds PHI)."""

    source_id: str
    text: str
    source_uri: str
    locator: str  # where in the object: "line 12", "file", ... (no PHI)
    source_format: str
    patient_id: str | None = None
    note_date: str | None = None  # ISO date string as given by the source
    note_type: str | None = None


@dataclass(frozen=True)
class Quarantined:
    """A record or object that could not be processed. `message` never holds note text."""

    source_uri: str
    locator: str
    source_format: str
    stage: Stage
    reason: Reason  # a stable code (transforms.codes.Reason)
    message: str
    note_key: str | None = None

    def __post_init__(self) -> None:  # an unknown code is a bug, found by the first test that makes it
        object.__setattr__(self, "stage", Stage(self.stage))
        object.__setattr__(self, "reason", Reason(self.reason))


@dataclass(frozen=True)
class PhiSpan:
    start: int
    end: int
    entity_type: str
    score: float = 1.0
