import gzip

from flows import storage


def test_when_a_body_arrives_in_odd_chunks_then_lines_are_whole_and_numbered_like_a_file():
    data = b'{"a": 1}\n\n{"b": 2}\r\n{"c": 3}'
    chunks = [data[i : i + 3] for i in range(0, len(data), 3)]
    assert list(storage._split_chunks(iter(chunks))) == [b'{"a": 1}', b"", b'{"b": 2}\r', b'{"c": 3}']


def test_when_a_local_file_is_streamed_then_gzip_and_plain_give_the_same_lines(tmp_path):
    data = b"one\n\ntwo\nthree\n"
    (tmp_path / "a.jsonl").write_bytes(data)
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(data))
    plain = list(storage.iter_lines(str(tmp_path / "a.jsonl"), gz=False))
    assert plain == list(storage.iter_lines(str(tmp_path / "a.jsonl.gz"), gz=True)) == [(1, b"one"), (3, b"two"), (4, b"three")]
