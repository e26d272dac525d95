"""LoRA adapters for the extraction model: the shipped one, a site's own, and how an engine loads them.

An adapter folder is what `chartsift finetune` writes: PEFT weights (`adapter_model.safetensors`,
`adapter_config.json`), `chartsift-adapter.json` (the card: base model and revision, prompt
template, data recipe, hyper-parameters, eval figures) and its sha256 over the weights and config.
The sha256 is checked on every load, and it and the adapter id go into every fact's provenance.

On CPU the adapter is merged into the base weights once (cached, keyed by base revision and adapter
sha256), so the CPU engine generates exactly as fast as the base model; on GPU vLLM serves the LoRA
weights directly (`enable_lora`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from transforms.errors import ConfigError, TerminalError

log = logging.getLogger(__name__)

ADAPTER_CARD = "chartsift-adapter.json"
_WEIGHTS = ("adapter_config.json", "adapter_model.safetensors")
PACKAGED_DIR = Path(__file__).parent / "engines" / "adapters"
# the adapter `adapter: default` means, per packaged base model
DEFAULT_ADAPTERS = {"smollm2-135m": "smollm2-extract-v2"}


@dataclass(frozen=True)
class Adapter:
    path: str
    adapter_id: str
    sha256: str
    base: str  # the packaged base name or model id it was trained on
    base_revision: str
    template: str  # prompt template file it was trained with


def adapter_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for name in _WEIGHTS:
        p = folder / name
        if not p.is_file():
            raise ConfigError(f"adapter folder {folder.name} lacks {name}")
        h.update(name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def resolve_adapter(spec: str | None, base: str | None) -> Adapter | None:
    """`none`/None: no adapter; `default`: the shipped adapter for a packaged base (none for others);
    a packaged adapter name; or a folder. The recorded sha256 must match the weights."""
    if spec in (None, "", "none"):
        return None
    if spec == "default":
        spec = DEFAULT_ADAPTERS.get(base or "")
        if spec is None:
            return None
    folder = PACKAGED_DIR / spec if (PACKAGED_DIR / spec).is_dir() else Path(spec)
    card_path = folder / ADAPTER_CARD
    if not card_path.is_file():
        raise ConfigError("inference.adapter names no adapter folder (no chartsift-adapter.json there)")
    card = json.loads(card_path.read_text())
    digest = adapter_digest(folder)
    if digest != card.get("sha256"):
        raise TerminalError(f"adapter {card.get('adapter_id')}: weights do not match the sha256 in its card")
    return Adapter(str(folder), card["adapter_id"], digest, card["base"], card["base_revision"], card["template"])


def merged_model(base_path: str, base_revision: str, adapter: Adapter, cache: Path) -> str:
    """The base model with the adapter merged in, as a safetensors folder vLLM loads (once, cached)."""
    target = cache / "models" / f"merged-{hashlib.sha256(base_revision.encode()).hexdigest()[:8]}-{adapter.sha256[:12]}"
    if (target / "chartsift-source.json").is_file():
        return str(target)
    import torch
    from peft import PeftModel
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM

    log.info("merging adapter %s into its base model (once)", adapter.adapter_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".merge-"))
    try:
        model = AutoModelForCausalLM.from_pretrained(base_path, dtype=torch.float32)
        model = PeftModel.from_pretrained(model, adapter.path).merge_and_unload()
        tied = bool(getattr(model.config, "tie_word_embeddings", False))
        state = {k: v.to(torch.bfloat16).contiguous() for k, v in model.state_dict().items()
                 if not (tied and k.startswith("lm_head."))}  # fmt: skip
        save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        for f in Path(base_path).iterdir():
            if f.is_file() and f.suffix != ".safetensors" and f.name != "chartsift-source.json":
                shutil.copy2(f, tmp / f.name)
        (tmp / "chartsift-source.json").write_text(json.dumps({"base": base_revision, "adapter": adapter.adapter_id,
                                                               "adapter_sha256": adapter.sha256}))  # fmt: skip
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    except Exception as exc:  # noqa: BLE001
        raise TerminalError(f"could not merge adapter {adapter.adapter_id}: {type(exc).__name__}") from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return str(target)


def record_eval(folder: Path, gold_name: str, command: str, columns: list[tuple[str, dict[str, str]]]) -> None:
    """Put eval-extract's figures on `gold_name` into the adapter's card and README (the weights,
    and so the sha256, are untouched). Figures measured under another SCHEMA_VERSION (other grounded
    decoding or grounding rules) are dropped: the card shows what the code now does."""
    from transforms.schema import SCHEMA_VERSION

    card_path = folder / ADAPTER_CARD
    card = json.loads(card_path.read_text())
    evals = {k: v for k, v in (card.get("eval") or {}).items()
             if isinstance(v, dict) and v.get("schema_version") == SCHEMA_VERSION}  # fmt: skip
    evals[gold_name] = {"command": command, "schema_version": SCHEMA_VERSION,
                        "columns": [[label, figs] for label, figs in columns]}  # fmt: skip
    card["eval"] = evals
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    write_model_card(folder, card)


def _eval_lines(evals: dict) -> list[str]:
    from transforms.extract_eval import report_lines

    if not evals:
        return ["(not evaluated yet: chartsift eval-extract --compare ADAPTER --card)", ""]
    lines = []
    for gold_name, e in sorted(evals.items()):
        lines += [f"`{e['command']}` ({gold_name}; schema {e.get('schema_version', '?')}):", "", "```",
                  *report_lines([(label, figs) for label, figs in e["columns"]]), "```", ""]  # fmt: skip
    return lines


def write_model_card(folder: Path, card: dict) -> None:
    t, d, h = card["training"], card["data"], card["hyperparameters"]
    ev = card.get("eval") or {}
    lines = [
        f"# {card['adapter_id']}", "",
        f"LoRA adapter for chartsift's extraction stage. Base: `{card['base_model']}` ({card['base_revision']}).",
        f"Prompt template: `{card['prompt_template']}`; schema {card['schema_version']}.", "",
        "## Training data", "",
        f"- files: {', '.join(d['files'])} (sha256 prefixes in chartsift-adapter.json)",
        f"- {d['notes']} notes ({d['quarantined_by_deid']} left out by de-identification), {d['facts']} facts "
        f"({d['facts_dropped_by_deid']} dropped: evidence changed by de-identification), {d['tokens']} tokens",
        f"- recipe: {d['recipe']}", "",
        "## Hyper-parameters", "",
        f"LoRA r={h['rank']} alpha={h['alpha']} dropout={h['dropout']} on {', '.join(h['target_modules'])}; "
        f"lr {h['lr']} cosine, {h['warmup_steps']} warmup steps, {h['epochs']} epochs, grad_accum {h['grad_accum']}, "
        f"seed {h['seed']}; loss on {h['loss']}.", "",
        "## Training run", "",
        f"{t['steps']} optimizer steps, {t['examples_seen']} examples, {t['seconds']} s; loss {t['loss_first']} -> {t['loss_last']}.",
        *([f"Command: `{t['command']}`", ""] if t.get("command") else []),
        *([f"Machine: {t['machine']}.", ""] if t.get("machine") else []),
        "Loss curve (per step): " + " ".join(f"{x:.3f}" for x in t["loss_curve"]), "",
        "## Evaluation", "",
        *_eval_lines({k: v for k, v in ev.items() if isinstance(v, dict)}),
        f"sha256 (adapter_config.json + adapter_model.safetensors): `{card['sha256']}`", "",
    ]  # fmt: skip
    (folder / "README.md").write_text("\n".join(lines), encoding="utf-8")
