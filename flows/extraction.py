"""Run the extraction prompts for a batch of de-identified notes through an engine: chunk to fit
the context, generate under the JSON schema, retry truncated or broken answers once with a larger
budget, and turn answers into grounded fact rows. A note whose answer still fails gets an error
code; the shard never crashes on a bad answer."""

from __future__ import annotations

from dataclasses import dataclass, field

from flows.engines.base import GenerationRequest, InferenceEngine
from transforms.chunking import Chunk, chunk_text
from transforms.extract import facts_from_extraction, merge_chunk_facts, parse_answer
from transforms.prompts import PromptTemplate
from transforms.schema import extraction_json_schema

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
        raise ValueError("max_model_len leaves no room for the note: raise it or lower max_tokens")
    max_chars = budget * _CHARS_PER_TOKEN
    while True:
        chunks = chunk_text(text, max_chars)
        longest = max(chunks, key=lambda c: len(c.text))
        if engine.count_tokens(template.messages(longest.text)) + max_tokens <= engine.info.max_model_len:
            return chunks
        max_chars = int(max_chars * 0.8)


def run_extraction(engine: InferenceEngine, template: PromptTemplate, texts: list[str], max_tokens: int,
                  retry_max_tokens: int, batch_size: int = 256) -> list[NoteExtraction]:  # fmt: skip
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
            reqs = [GenerationRequest(template.messages(c.text), schema, budget) for _, c in batch]
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
        results[i].facts.extend(facts_from_extraction(parsed.extraction, texts[i], c))  # type: ignore[attr-defined]
    for r in results:
        if r.error is not None:
            r.facts = []  # a note is extracted whole or not at all
        else:
            r.facts = merge_chunk_facts(r.facts)
    return results
