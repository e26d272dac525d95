"""Table upkeep a data engineer schedules beside the nightly run (`chartsift maintain`): compact
each Delta table's small files (one commit per table, the rows unchanged) and, when asked, vacuum
the files no version newer than the retention needs. Vacuuming ends time travel to the versions
it removes the files of: `chartsift query --as-of` an older run then fails. It is never automatic.
Runs under the output lock, like a run: one writer per output."""

from __future__ import annotations

import uuid

from flows import delta, ledger
from flows.layout import TABLES, OutputLayout


def maintain(output_uri: str, vacuum_hours: int | None = None, lock_wait_s: float = 0.0) -> dict[str, dict]:
    """Per table: files compacted (removed, added) and files vacuumed; the table versions after."""
    job = "maintain-" + uuid.uuid4().hex[:8]
    lock = ledger.OutputLock.acquire(output_uri, job, lock_wait_s)
    layout = OutputLayout(output_uri)
    try:
        done = {name: delta.compact_and_vacuum(layout.table(name), job, vacuum_hours) for name in TABLES}
        return {name: m for name, m in done.items() if m is not None}
    finally:
        lock.release()
