"""Integer ids for the OMOP CDM views. OMOP v5.4 ids (note_id, note_nlp_id, person_id) are 32-bit
integers; a keyed hash that fits 31 bits collides at research scale (about 230 pairs in a million
facts), so every key gets the next integer once, in the run that first writes it, and keeps it
(`ids` table, flows.omop_ids)."""

from __future__ import annotations

from collections.abc import Iterable

from transforms.errors import TerminalError

MAX_ID = 2**31 - 1


def new_ids(registered: dict[str, int], keys: Iterable[str]) -> dict[str, int]:
    """Ids for the `keys` not yet `registered`: the next integers after the largest in use, in key
    order (a run done again assigns the same ones)."""
    fresh = sorted(set(keys) - registered.keys())
    start = max(registered.values(), default=0) + 1
    if start + len(fresh) - 1 > MAX_ID:
        raise TerminalError("OMOP integer ids are used up (2^31 - 1): the output needs a new id space")
    return {k: start + i for i, k in enumerate(fresh)}
