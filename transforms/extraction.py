"""The extraction stage as one pure function: de-identified note rows in, note rows with their
extraction outcome, fact rows with provenance and quarantine records out (`extract_facts`).

`run_extraction` drives the engine (transforms.engine.InferenceEngine, any implementation): chunk
to fit the context, generate under the JSON schema, retry truncated or broken answers once with a
larger budget, and turn answers into grounded facts. A note whose answer still fails gets an error
code; a bad answer never crashes the stage. Then the fact leak guard: a note one of whose facts
repeats a PHI value found in it is quarantined whole (`phi_leak`). It reads and writes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from transforms import keys
from transforms.chunking import Chunk, chunk_text
from transforms.codes import GROUNDED, ExtractionStatus, Reason, Stage
from transforms.deid.leaks import fact_leaks
from transforms.engine import GenerationRequest, InferenceEngine
from transforms.errors import ConfigError
from transforms.extract import facts_from_extraction, merge_chunk_facts, parse_answer
from transforms.prompts import PromptTemplate
from transforms.records import Quarantined
from transforms.schema import SCHEMA_VERSION, extraction_json_schema, grounded_json_schema

_CHARS_PER_TOKEN = 3  # conservative for English clinical text; checked against the real tokenizer


@dataclass
class NoteExtraction:
    facts: list[dict] = field(default_factory=list)
    error: str | None = None
    n_chunks: int = 0
    prompt_tokens: int = 0
    generated_tokens: int = 0


def _chunks_that_fit(engine: InferenceEngine, template: PromptTemplate, text: str, max_tokens: int) -> list[Chunk]:
    overhead = engine.count_tokens(template.messages(""))
    budget = engine.info.max_model_len - overhead - max_tokens - 16
    if budget < 64:
        raise ConfigError("max_model_len leaves no room for the note: raise it or lower max_tokens")
    max_chars = budget * _CHARS_PER_TOKEN
    while True:
        chunks = chunk_text(text, max_chars)
        longest = max(chunks, key=lambda c: len(c.text))
        if engine.count_tokens(template.messages(longest.text)) + max_tokens <= engine.info.max_model_len:
            return chunks
        max_chars = int(max_chars * 0.8)


def run_extraction(engine: InferenceEngine, template: PromptTemplate, texts: list[str], max_tokens: int,
                  retry_max_tokens: int, batch_size: int = 256, grounded: bool = False,
                  surrogates: list[list[str]] | None = None) -> list[NoteExtraction]:  # fmt: skip
    """`grounded`: each chunk's schema allows only quotes of that chunk as evidence and names
    (schema.grounded_json_schema). `surrogates`: per text, what its de-identification wrote in
    place of PHI; no fact is named by one."""
    written = surrogates or [[] for _ in texts]
    schema = extraction_json_schema()
    results = [NoteExtraction() for _ in texts]
    work: list[tuple[int, Chunk]] = []
    for i, text in enumerate(texts):
        chunks = _chunks_that_fit(engine, template, text, retry_max_tokens)
        results[i].n_chunks = len(chunks)
        work.extend((i, c) for c in chunks)

    # longest first: batches of similar length waste less padding and finish together
    pending = sorted(work, key=lambda ic: -len(ic[1].text))
    budget = max_tokens
    answers: dict[tuple[int, int], object] = {}
    for attempt in (0, 1):
        failed = []
        for lo in range(0, len(pending), batch_size):
            batch = pending[lo : lo + batch_size]
            reqs = [GenerationRequest(template.messages(c.text),
                                      grounded_json_schema(c.text, written[i]) if grounded else schema, budget)
                    for i, c in batch]  # fmt: skip
            for (i, c), res in zip(batch, engine.generate(reqs), strict=True):
                results[i].prompt_tokens += res.prompt_tokens
                results[i].generated_tokens += res.generated_tokens
                parsed = parse_answer(res.text, res.finish_reason)
                answers[(i, c.index)] = parsed
                if parsed.error is not None and attempt == 0:
                    failed.append((i, c))
        pending, budget = failed, retry_max_tokens
        if not pending:
            break

    for i, c in work:
        parsed = answers[(i, c.index)]
        if parsed.error is not None:  # type: ignore[attr-defined]
            results[i].error = results[i].error or parsed.error  # type: ignore[attr-defined]
            continue
        results[i].facts.extend(facts_from_extraction(parsed.extraction, texts[i], c, written[i]))  # type: ignore[attr-defined]
    for r in results:
        if r.error is not None:
            r.facts = []  # a note is extracted whole or not at all
        else:
            r.facts = merge_chunk_facts(r.facts)
    return results


@dataclass(frozen=True)
class ExtractPolicy:
    """What the extraction stage needs from settings (inference budgets, the site key)."""

    max_tokens: int
    retry_max_tokens: int
    secret: bytes  # keys the PHI-token hashes the fact leak guard compares
    batch_size: int = 256
    grounded_decoding: bool = False  # evidence and names constrained to quotes of the note


@dataclass
class ExtractOutcome:
    notes: list[dict] = field(default_factory=list)  # note rows with their extraction outcome
    facts: list[dict] = field(default_factory=list)  # grounded fact rows with provenance (the `facts` table)
    ungrounded: list[dict] = field(default_factory=list)  # the others, same shape (`facts_ungrounded`, audit)
    quarantined: list[Quarantined] = field(default_factory=list)  # notes the fact leak guard blocked
    prompt_tokens: int = 0
    generated_tokens: int = 0
    inference_seconds: float = 0.0

    @property
    def n_errors(self) -> int:
        return sum(n["extraction_status"] == ExtractionStatus.ERROR for n in self.notes)


def extract_facts(notes: list[dict], engine: InferenceEngine, template: PromptTemplate, policy: ExtractPolicy,
                  run_id: str, clock: Callable[[], float] = time.perf_counter) -> ExtractOutcome:  # fmt: skip
    """Facts for de-identified note rows (the staged notes: `note_key`, `patient_key`, `text`,
    `deid_version`, `phi_tokens`, `surrogates`, ...). Every input note comes back as exactly one note row or one
    quarantine record; the note rows it returns are new dicts. A fact whose evidence was not found
    in the note, or does not name it, goes to `ungrounded`, never to `facts`; each note row counts
    both (`n_facts`, `n_facts_ungrounded`)."""
    t0 = clock()
    results = run_extraction(engine, template, [n["text"] for n in notes], policy.max_tokens,
                             policy.retry_max_tokens, policy.batch_size, policy.grounded_decoding,
                             [n.get("surrogates") or [] for n in notes])  # fmt: skip
    out = ExtractOutcome(inference_seconds=clock() - t0)
    facts_by_note: dict[str, list[dict]] = {}
    for note, res in zip(notes, results, strict=True):
        status = ExtractionStatus.ERROR if res.error else ExtractionStatus.OK
        out.notes.append({**note, "run_id": run_id, "extraction_status": status, "extraction_error": res.error,
                          "n_facts": sum(f["grounding"] in GROUNDED for f in res.facts),
                          "n_facts_ungrounded": sum(f["grounding"] not in GROUNDED for f in res.facts), "n_chunks": res.n_chunks, "prompt_tokens": res.prompt_tokens,
                          "generated_tokens": res.generated_tokens})  # fmt: skip
        out.prompt_tokens += res.prompt_tokens
        out.generated_tokens += res.generated_tokens
        facts_by_note[note["note_key"]] = fact_rows(note, res.facts, engine, template, run_id)
    blocked = {n["note_key"] for n in out.notes if _fact_leaks(policy.secret, n, facts_by_note[n["note_key"]])}
    out.quarantined = [Quarantined(n["source_key"] or "", "note", n["source_format"] or "", Stage.EXTRACT,
                                   Reason.PHI_LEAK, "a fact repeats a PHI value found in its note", n["note_key"])
                       for n in out.notes if n["note_key"] in blocked]  # fmt: skip
    out.notes = [n for n in out.notes if n["note_key"] not in blocked]
    kept = [f for n in out.notes for f in facts_by_note[n["note_key"]]]
    out.facts = [f for f in kept if f["grounding"] in GROUNDED]
    out.ungrounded = [f for f in kept if f["grounding"] not in GROUNDED]
    return out


def fact_rows(note: dict, facts: list[dict], engine: InferenceEngine, template: PromptTemplate,
              run_id: str) -> list[dict]:  # fmt: skip
    """Fact rows with provenance: a fact id stable across reruns (note, position, model, prompt and
    schema versions), the model, prompt, schema and de-identification versions, the run."""
    info = engine.info
    return [{**f, "fact_id": keys.content_hash(note["note_key"], str(j), info.model_id, info.model_revision,
                                              template.version, SCHEMA_VERSION, *_adapter_part(info)),
             "note_key": note["note_key"], "patient_key": note["patient_key"], "model_id": info.model_id,
             "model_revision": info.model_revision, "adapter_id": info.adapter_id or None,
             "adapter_sha256": info.adapter_sha256 or None, "prompt_version": template.version,
             "schema_version": SCHEMA_VERSION, "deid_version": note["deid_version"], "run_id": run_id}
            for j, f in enumerate(facts)]  # fmt: skip


def _adapter_part(info) -> tuple[str, ...]:
    return (info.adapter_sha256,) if info.adapter_sha256 else ()  # fact ids without an adapter stay as they were


def _fact_leaks(secret: bytes, note: dict, facts: list[dict]) -> bool:
    """The fact leak guard: no word sequence of a fact may be a PHI value found in its note."""
    values = [t for f in facts for t in (f["name"], f["evidence"], *f["attributes"].values())]
    return bool(fact_leaks(secret, set(note["phi_tokens"] or []), values))
