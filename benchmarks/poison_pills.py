"""Poison pills mixed into good notes (issue #15, acceptance 3).

`build_corpus(folder)` writes 40 good synthetic notes (invented names and MRNs) as .txt files and
JSONL lines, and beside them, or inside the same JSONL objects, one of each pill an adversarial
probe found:

- a JSONL line nested 100,000 deep, and a JSONL line with a 5,000-digit number;
- a file the operating system refuses to read;
- a FHIR DocumentReference whose RTF attachment holds `\\'81` (undefined in cp1252);
- HL7 messages with `\\.sp999999999\\` and with non-ASCII digits in `\\.sp`;
- gzip bombs (a .txt.gz and a .jsonl.gz that expand to `bomb_bytes`, default 2 GiB);
- a plain 50 MB note;
- an empty FHIR Bundle (a record that yields no note).

`python benchmarks/poison_pills.py` runs `chartsift run --engine fake` twice in subprocesses: the
40 good notes alone (the baseline) and the good notes with every pill, and prints both walls,
their ratio, each run's peak RSS, and the quarantine reasons. The acceptance bar: the run with
pills completes, 40 notes out, each pill quarantined with a specific reason, peak RSS under
1.5 GB, wall under 2 minutes.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOOD = 40

# the quarantine reasons the pills must get, with counts (nested and bignum appear twice: as a
# file of their own and as a line among good lines); the RTF and HL7 pills become short notes
EXPECTED = {"json_too_deep": 2, "json_number_too_long": 2, "unreadable": 1, "too_large": 2, "note_too_large": 1,
            "empty_bundle": 1}  # fmt: skip
PILL_NOTES = 3  # rtf.json, sp-huge.hl7, sp-odd.hl7


def good_note(i: int) -> str:
    return (f"Progress note {i}. Patient Ada Testperson{i % 7} (MRN {40000000 + i}) seen on 03/{1 + i % 27:02d}/2024 "
            f"at Lakeside Clinic. Hypertension, on lisinopril 10 mg PO daily. BP 138/{80 + i % 9}. "
            "Denies chest pain. Plan: recheck BMP in 2 weeks.")  # fmt: skip


def _gzip_zeros(path: Path, total: int, line: bool) -> None:
    """A gzip file expanding to `total` bytes (zeros; for JSONL, one line that never ends)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = (b'{"id": "bomb", "text": "' if line else b"") + b"0" * (1 << 20)
    with path.open("wb") as f:
        written = 0
        first = True
        while written < total:
            chunk = block if first else b"0" * (1 << 20)
            first = False
            f.write(comp.compress(chunk))
            written += len(chunk)
        f.write(comp.flush())


def _unreadable(path: Path) -> None:
    if os.geteuid() == 0:  # root reads through chmod 000: a file whose read the kernel fails instead
        path.symlink_to("/proc/self/mem")
    else:
        path.write_text("unreadable")
        path.chmod(0)


def _rtf_docref() -> dict:
    rtf = r"{\rtf1\ansi{\fonttbl\f0 Arial;}\f0 Discharge note. Patient Bo Testperson. Caf\'81 visit.\par Aspirin 81 mg daily.}"
    return {"resourceType": "DocumentReference", "id": "rtf-1", "status": "current",
            "subject": {"reference": "Patient/p-rtf"}, "date": "2024-03-01T10:00:00Z",
            "content": [{"attachment": {"contentType": "text/rtf", "data": base64.b64encode(rtf.encode()).decode()}}]}  # fmt: skip


def _hl7(msg_id: str, sp: str) -> str:
    segs = ["MSH|^~\\&|EHR|HOSP|DW|HOSP|20240301120000||MDM^T02|" + msg_id + "|P|2.5",
            "PID|1||55500011^^^HOSP^MR||Testperson^Cy||19600101|F",
            "TXA|1|PN|TX|20240301120000",
            f"OBX|1|TX|PN||Nursing note. Line one{sp}line two. Metoprolol 25 mg PO BID.||||||F"]  # fmt: skip
    return "\r".join(segs) + "\r"


def build_corpus(folder: Path, bomb_bytes: int = 2 << 30, huge_bytes: int = 50 << 20, pills: bool = True) -> dict:
    """Write the corpus; returns {"good": 40, "pills": [file names]}."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(20):
        (folder / f"good-{i:02d}.txt").write_text(good_note(i))
    lines = [json.dumps({"id": f"j{i}", "patient_id": f"p{i % 5}", "text": good_note(i)}) for i in range(20, 30)]
    (folder / "good.jsonl").write_text("\n".join(lines) + "\n")
    mixed = [json.dumps({"id": f"j{i}", "patient_id": f"p{i % 5}", "text": good_note(i)}) for i in range(30, 40)]
    if not pills:
        (folder / "mixed.jsonl").write_text("\n".join(mixed) + "\n")
        return {"good": GOOD, "pills": []}
    # the number and the nesting sit inside an object that also holds good lines
    mixed.insert(3, '{"id": "n1", "text": ' + "[" * 100_000 + "]" * 100_000 + "}")
    mixed.insert(6, '{"id": "n2", "text": "x", "dose": ' + "9" * 5000 + "}")
    (folder / "mixed.jsonl").write_text("\n".join(mixed) + "\n")
    (folder / "nested.jsonl").write_text("[" * 100_000 + "]" * 100_000 + "\n")
    (folder / "bignum.jsonl").write_text('{"id": "b", "text": "note", "n": ' + "7" * 5000 + "}\n")
    _unreadable(folder / "unreadable.txt")
    (folder / "rtf.json").write_text(json.dumps(_rtf_docref()))
    (folder / "sp-huge.hl7").write_text(_hl7("M1", "\\.sp999999999\\"))
    (folder / "sp-odd.hl7").write_text(_hl7("M2", "\\.sp\u0663\u0663\\"))
    _gzip_zeros(folder / "bomb.txt.gz", bomb_bytes, line=False)
    _gzip_zeros(folder / "bomb.jsonl.gz", bomb_bytes, line=True)
    para = good_note(0) + "\n"
    (folder / "huge.txt").write_text(para * (huge_bytes // len(para) + 1))
    (folder / "empty-bundle.json").write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": []}))
    return {"good": GOOD, "pills": sorted(p.name for p in folder.iterdir() if not p.name.startswith("good"))}


_PEAK = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
         "print(f'\\npeak_rss_kib={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}', file=sys.stderr); "
         "sys.exit(r.returncode)")


def run_chartsift(source: Path, output: Path) -> dict:
    """`chartsift run --engine fake` in a child process: exit code, wall, peak RSS (MiB), run row."""
    env = {**os.environ, "CHARTSIFT_DEID__SECRET": os.environ.get("CHARTSIFT_DEID__SECRET") or secrets.token_urlsafe(33),
           "PREFECT_HOME": str(output.parent / "prefect")}  # fmt: skip
    t0 = time.perf_counter()
    # a wrapper process whose only child is chartsift reports that child's own peak RSS
    proc = subprocess.run([sys.executable, "-c", _PEAK, str(ROOT / ".venv" / "bin" / "chartsift"), "run", "--source",
                           str(source), "--output", str(output), "--engine", "fake"], cwd=ROOT, env=env,
                          capture_output=True, text=True)  # fmt: skip
    wall = time.perf_counter() - t0
    stderr, _, peak = proc.stderr.rstrip().rpartition("\n")
    peak = int(peak.removeprefix("peak_rss_kib="))
    run = {}
    if proc.returncode == 0:
        from collections import Counter

        from flows import delta
        from transforms.tables import QUARANTINE, RUNS

        run = delta.read(str(output / "runs"), RUNS).to_pylist()[0]
        run["quarantine_rows"] = dict(sorted(Counter(delta.read(str(output / "quarantine"), QUARANTINE, ["reason"])["reason"].to_pylist()).items()))
    return {"rc": proc.returncode, "wall_s": wall, "peak_rss_mib": peak / 1024, "run": run,
            "stderr_tail": stderr[-2000:] if proc.returncode else ""}  # fmt: skip


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="pills-") as tmp:
        base, pills = Path(tmp, "good"), Path(tmp, "pills")
        build_corpus(base, pills=False)
        t0 = time.perf_counter()
        build_corpus(pills)
        print(f"corpus built in {time.perf_counter() - t0:.0f} s")
        a = run_chartsift(base, Path(tmp, "out-good"))
        b = run_chartsift(pills, Path(tmp, "out-pills"))
        for name, r in (("baseline (40 good notes)", a), ("good notes + pills", b)):
            run = r["run"]
            print(f"{name:26s} rc={r['rc']} wall={r['wall_s']:.1f}s notes_in={run.get('notes_input')} "
                  f"out={run.get('notes_output')} quarantined={run.get('notes_quarantined')}")  # fmt: skip
            if r["rc"]:
                print(r["stderr_tail"])
        reasons = b["run"].get("quarantine_rows")
        print(f"quarantine reasons (pills run): {reasons}")
        print(f"peak_rss_mib baseline={a['peak_rss_mib']:.0f} pills={b['peak_rss_mib']:.0f}")
        if a["rc"] == 0 and b["rc"] == 0:
            print(f"ratio wall pills/baseline={b['wall_s'] / a['wall_s']:.2f} "
                  f"ratio peak_rss pills/baseline={b['peak_rss_mib'] / a['peak_rss_mib']:.2f}")  # fmt: skip
        ok = (b["rc"] == 0 and b["run"].get("notes_output") == GOOD + PILL_NOTES and reasons == EXPECTED
              and b["peak_rss_mib"] < 1536 and b["wall_s"] < 120)  # fmt: skip
        print("acceptance (40 good notes out, each pill quarantined with its reason, RSS < 1.5 GB, wall < 120 s):",
              "met" if ok else "NOT met")  # fmt: skip
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
