"""The one inference interface: generate a batch of chat requests under a JSON schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class GenerationRequest:
    messages: list[dict[str, str]]
    json_schema: dict
    max_tokens: int


@dataclass(frozen=True)
class GenerationResult:
    text: str
    finish_reason: str | None  # stop | length | error
    prompt_tokens: int = 0
    generated_tokens: int = 0
    error: str | None = None  # set when the engine failed this request (type name only)


@dataclass(frozen=True)
class EngineInfo:
    name: str  # cpu | gpu | fake
    model_id: str
    model_revision: str
    max_model_len: int
    extra: dict = field(default_factory=dict)
    adapter_id: str = ""  # the LoRA adapter applied to the model ("" = none), recorded on every fact
    adapter_sha256: str = ""
    prompt_template: str | None = None  # the template an adapter was trained with (it overrides settings)


class InferenceEngine(Protocol):
    info: EngineInfo

    def generate(self, requests: list[GenerationRequest]) -> list[GenerationResult]:
        """One result per request, in order. Raises TransientError when the whole batch should be retried."""
        ...

    def count_tokens(self, messages: list[dict[str, str]]) -> int: ...
