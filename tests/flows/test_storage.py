import gzip

from flows import storage


def test_when_a_local_file_is_streamed_then_gzip_and_plain_give_the_same_lines(tmp_path):
    data = b"one\n\ntwo\nthree\n"
    (tmp_path / "a.jsonl").write_bytes(data)
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(data))
    plain = list(storage.iter_lines(str(tmp_path / "a.jsonl"), gz=False))
    assert plain == list(storage.iter_lines(str(tmp_path / "a.jsonl.gz"), gz=True)) == [(1, b"one"), (3, b"two"), (4, b"three")]


def test_when_files_are_written_locally_then_state_is_the_owners_and_tables_the_groups(tmp_path):
    storage.write_bytes(str(tmp_path / "_state" / "source-1.json"), b"{}")
    storage.create_exclusive(str(tmp_path / "_lock" / "output.json"), b"{}")
    storage.write_bytes(str(tmp_path / "notes" / "part-1.parquet"), b"x")
    modes = {p.relative_to(tmp_path).as_posix(): p.stat().st_mode & 0o777 for p in tmp_path.rglob("*") if p.is_file()}
    assert modes == {"_state/source-1.json": 0o600, "_lock/output.json": 0o600, "notes/part-1.parquet": 0o640}
