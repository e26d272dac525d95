"""Inference engines behind one interface (transforms.engine.InferenceEngine), chosen by name
through a small registry: a name maps to "module:Class", imported only when that engine is built
(vllm and torch load only for a vLLM engine). A site plugs in its own engine by setting
`inference.engine` to "package.module:Class"; the class needs `from_settings(settings, name)`."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from transforms.engine import EngineInfo, GenerationRequest, GenerationResult, InferenceEngine
from transforms.errors import ConfigError

if TYPE_CHECKING:
    from flows.settings import InferenceSettings

__all__ = ["ENGINES", "EngineInfo", "GenerationRequest", "GenerationResult", "InferenceEngine", "build_engine"]  # fmt: skip

ENGINES: dict[str, str] = {
    "fake": "flows.engines.fake:FakeEngine",
    "cpu": "flows.engines.vllm_engine:VllmEngine",
    "gpu": "flows.engines.vllm_engine:VllmEngine",
}


def resolve_engine_name(settings: InferenceSettings) -> str:
    if settings.engine != "auto":
        return settings.engine
    from flows.engines.vllm_engine import gpu_available

    return "gpu" if gpu_available() else "cpu"


def engine_class(name: str) -> type:
    """The class registered under `name`, or named by a "module:Class" spec."""
    spec = ENGINES.get(name, name)
    module, _, cls = spec.partition(":")
    try:
        return getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"inference engine {name!r} cannot be loaded ({type(exc).__name__})") from None


def build_engine(settings: InferenceSettings) -> InferenceEngine:
    name = resolve_engine_name(settings)
    return engine_class(name).from_settings(settings, name)
