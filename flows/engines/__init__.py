"""Inference engines behind one interface (flows.engines.base.InferenceEngine), chosen by name.
Heavy imports (vllm, torch) happen only when a vLLM engine is built."""

from __future__ import annotations

from flows.engines.base import EngineInfo, GenerationRequest, GenerationResult, InferenceEngine
from flows.settings import InferenceSettings

__all__ = ["EngineInfo", "GenerationRequest", "GenerationResult", "InferenceEngine", "build_engine", "get_engine"]

_CACHE: dict[str, InferenceEngine] = {}


def resolve_engine_name(settings: InferenceSettings) -> str:
    if settings.engine != "auto":
        return settings.engine
    from flows.engines.vllm_engine import gpu_available

    return "gpu" if gpu_available() else "cpu"


def build_engine(settings: InferenceSettings) -> InferenceEngine:
    name = resolve_engine_name(settings)
    if name == "fake":
        from flows.engines.fake import FakeEngine

        return FakeEngine(settings.fake_fail_prob, settings.fake_invalid_json_prob, settings.fake_truncate_prob,
                          truncate_below=settings.retry_max_tokens, max_model_len=settings.max_model_len,
                          drift_prob=settings.fake_drift_prob, delay_s=settings.fake_delay_s)  # fmt: skip
    from flows.engines.vllm_engine import VllmEngine

    return VllmEngine(settings, name)


def get_engine(settings: InferenceSettings) -> InferenceEngine:
    """One engine per process and settings (loading a model takes seconds to minutes)."""
    key = settings.model_dump_json()
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = build_engine(settings)
    return _CACHE[key]
