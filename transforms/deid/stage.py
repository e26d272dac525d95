"""The de-identification stage as one pure function: parsed notes in, de-identified notes and
quarantine records out. Keys, de-identification of text and titles, the text leak guard, the time
budget: the flow's task, `chartsift deid`, `eval-deid` and `bench deid` all call this one.

It reads and writes nothing; whatever it is given it accounts for: every input note comes back as
exactly one DeidNote or one Quarantined record.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from transforms import keys
from transforms.codes import Reason, Stage
from transforms.deid.engine import Deidentifier, DeidError, DeidResult
from transforms.deid.leaks import phi_tokens, text_leaks
from transforms.records import Quarantined, SourceNote

BATCH = 32  # notes per analyzer call; the time budget is checked between batches


@dataclass(frozen=True)
class DeidNote:
    """One de-identified note (no PHI left in `result.text`; `source` still holds the original)."""

    source: SourceNote
    note_key: str
    patient_key: str | None
    result: DeidResult
    title: str | None  # the note type, de-identified; None when it failed or leaked
    phi_tokens: list[str]  # keyed hashes of the PHI values found (the fact leak guard's input)


@dataclass
class DeidOutcome:
    notes: list[DeidNote] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    # notes the text leak guard stopped (each also in `quarantined` as phi_leak): never written;
    # kept so that an evaluation can score what the de-identifier did to them
    blocked: list[DeidNote] = field(default_factory=list)

    @property
    def phi(self) -> Counter:
        total: Counter = Counter()
        for n in self.notes:
            total.update(n.result.phi_counts)
        return total

    @property
    def n_leaks(self) -> int:
        return sum(q.reason == Reason.PHI_LEAK for q in self.quarantined)


def note_keys(secret: bytes, note: SourceNote, object_name: str) -> tuple[str, str | None]:
    """(note key, patient key). A note key is scoped by its object (the name under the source
    prefix), so a/visit.txt and b/visit.txt never share one."""
    return keys.note_key(secret, keys.scoped_id(object_name, note.source_id)), keys.patient_key(secret, note.patient_id)


def deidentify_notes(notes: list[SourceNote], object_names: list[str], deidentifier: Deidentifier, *,
                     budget_s: float | None = None, clock: Callable[[], float] = time.monotonic,
                     batch: int = BATCH) -> DeidOutcome:  # fmt: skip
    """De-identify `notes` (object_names[i] is the object note i came from). A note that fails,
    or whose found PHI survives (the leak guard), is quarantined, never returned. Past `budget_s`
    the notes not yet started are quarantined as time_budget."""
    secret = deidentifier.policy.secret
    out = DeidOutcome()
    start = clock()
    for lo in range(0, len(notes), batch):
        chunk = notes[lo : lo + batch]
        scopes = [note_keys(secret, n, obj) for n, obj in zip(chunk, object_names[lo : lo + batch], strict=True)]
        if budget_s is not None and clock() - start > budget_s:
            out.quarantined += [Quarantined(n.source_uri, n.locator, n.source_format, Stage.DEID, Reason.TIME_BUDGET,
                                            f"the shard's de-identification time budget ({budget_s:.0f} s) ran out "
                                            "before this note", nkey) for n, (nkey, _) in zip(chunk, scopes, strict=True)]  # fmt: skip
            continue
        _deidentify_batch(deidentifier, chunk, scopes, out)
    return out


def split_for_workers(n: int, workers: int, batch: int = BATCH, per_worker: int = 4) -> list[tuple[int, int]]:
    """Contiguous [lo, hi) ranges of n notes, whole analyzer batches each, about `per_worker`
    ranges per worker so that a worker done early takes the next (notes differ in length)."""
    per = max(batch, n // (per_worker * max(workers, 1)) // batch * batch)
    return [(lo, min(lo + per, n)) for lo in range(0, n, per)]


def merge_outcomes(parts: list[DeidOutcome]) -> DeidOutcome:
    """Outcomes of consecutive ranges of notes as one, in order."""
    out = DeidOutcome()
    for p in parts:
        out.notes += p.notes
        out.quarantined += p.quarantined
        out.blocked += p.blocked
    return out


def _deidentify_batch(deidentifier: Deidentifier, chunk: list[SourceNote], scopes: list[tuple[str, str | None]],
                      out: DeidOutcome) -> None:  # fmt: skip
    done = deidentifier.process_batch([(n.text, pkey or nkey, n.note_date) for n, (nkey, pkey) in zip(chunk, scopes, strict=True)])
    titles = deidentified_titles(deidentifier, [(n.note_type, pkey or nkey) for n, (nkey, pkey) in zip(chunk, scopes, strict=True)])
    for note, (nkey, pkey), result, title in zip(chunk, scopes, done, titles, strict=True):
        if isinstance(result, DeidError):  # fail closed: the note goes to quarantine, never downstream
            out.quarantined.append(Quarantined(note.source_uri, note.locator, note.source_format, Stage.DEID, Reason.DEID_ERROR,
                                               str(result), nkey))  # fmt: skip
            continue
        analysis, res = result
        leaked = text_leaks(note.text, analysis, res.text, res.replaced)
        done_note = DeidNote(note, nkey, pkey, res, title, phi_tokens(deidentifier.policy.secret, note.text, analysis))
        if leaked:  # the guard: a note whose found PHI survived de-identification goes no further
            out.quarantined.append(Quarantined(note.source_uri, note.locator, note.source_format, Stage.DEID,
                                               Reason.PHI_LEAK, f"{len(leaked)} PHI value(s) of type(s) "
                                               f"{sorted(set(leaked))} still present after de-identification", nkey))  # fmt: skip
            out.blocked.append(done_note)
            continue
        out.notes.append(done_note)


def deidentify_texts(texts: list[str], name: str, deidentifier: Deidentifier) -> list[tuple[DeidNote, bool] | None]:
    """Bare texts (gold sets, benchmarks), each a note of its own with no patient, through
    `deidentify_notes`: by position, (the DeidNote, whether the leak guard blocked it), or None
    when it failed (quarantined: nothing leaks, nothing is caught)."""
    notes = [SourceNote(str(i), t, name, f"line {i + 1}", "jsonl") for i, t in enumerate(texts)]
    outcome = deidentify_notes(notes, [name] * len(notes), deidentifier)
    out: list[tuple[DeidNote, bool] | None] = [None] * len(notes)
    for n in outcome.notes:
        out[int(n.source.source_id)] = (n, False)
    for n in outcome.blocked:
        out[int(n.source.source_id)] = (n, True)
    return out


def deidentified_titles(deidentifier: Deidentifier, titles: list[tuple[str | None, str]]) -> list[str | None]:
    """Note titles and types (JSONL note_type, FHIR type, HL7 TXA-2 / OBR-4) de-identified like the
    text, in the note's scope; a title that fails or leaks becomes None (fail closed)."""
    todo = [(i, t, scope) for i, (t, scope) in enumerate(titles) if t]
    out: list[str | None] = [None] * len(titles)
    for (i, t, _), result in zip(todo, deidentifier.process_batch([(t, scope, None) for _, t, scope in todo]), strict=True):
        if not isinstance(result, DeidError) and not text_leaks(t, result[0], result[1].text, result[1].replaced):
            out[i] = result[1].text
    return out


def staged_row(n: DeidNote, deid_version: str, run_id: str, source_key: str) -> dict:
    """A de-identified note as a row of the staged notes table (transforms.tables.STAGED_NOTES)."""
    return {
        "note_key": n.note_key, "patient_key": n.patient_key, "note_date": n.result.note_date, "note_type": n.title,
        "source_format": n.source.source_format, "source_key": source_key, "text": n.result.text,
        "phi_counts": n.result.phi_counts, "phi_total": sum(n.result.phi_counts.values()), "deid_version": deid_version,
        "run_id": run_id, "phi_tokens": n.phi_tokens, "surrogates": surrogates(n.result),
    }  # fmt: skip


def surrogates(result: DeidResult) -> list[str]:
    """The words the de-identifier wrote in place of PHI (surrogate names, places, shifted dates
    and ids), as they read in its text: no clinical fact is named by one."""
    return sorted({result.text[a:b] for a, b, _, _ in result.replaced if any(ch.isalpha() for ch in result.text[a:b])})
