"""Object storage behind one small interface: local paths and s3://bucket/prefix (boto3).

Errors worth retrying (throttling, 5xx, connection trouble) are raised as TransientError; Prefect
tasks retry only those.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.parquet as pq

from flows.settings import S3Settings
from flows.state import STATE
from transforms.errors import TerminalError, TransientError
from transforms.parse import Limits, read_chunks, split_lines


@dataclass(frozen=True)
class ObjectInfo:
    uri: str
    name: str  # key relative to the listed prefix
    size: int
    etag: str


def is_s3(uri: str) -> bool:
    return uri.startswith("s3://")


def join(base: str, *parts: str) -> str:
    base = base.rstrip("/")
    return "/".join([base, *[p.strip("/") for p in parts]])


def _split(uri: str) -> tuple[str, str]:
    u = urlparse(uri)
    return u.netloc, u.path.lstrip("/")


_DEFAULT_S3 = S3Settings()


def configure_s3(settings: S3Settings) -> None:
    """This process's S3 settings (flows.state): the flow sets them at its start, a Dask worker's plugin on the worker."""
    STATE.s3 = settings


def s3_settings() -> S3Settings:
    return STATE.s3 or _DEFAULT_S3


@lru_cache(maxsize=8)
def _client(endpoint_url: str | None, region: str | None, max_attempts: int):
    import boto3
    from botocore.config import Config

    cfg = Config(retries={"mode": "standard", "max_attempts": max_attempts}, connect_timeout=10, read_timeout=60)
    # a fresh session: boto3's default session caches credentials for the life of the process
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, region_name=region, config=cfg)


def s3_endpoint() -> str | None:
    """The S3 endpoint this process uses: the settings', else the standard AWS_ENDPOINT_URL."""
    return s3_settings().endpoint_url or os.environ.get("AWS_ENDPOINT_URL")


def s3_client():
    s = s3_settings()
    return _client(s3_endpoint(), s.region, s.max_attempts)


def _classify(exc: Exception) -> Exception:
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if status >= 500 or code in {"SlowDown", "Throttling", "RequestTimeout", "InternalError"}:
            return TransientError(f"S3 {code or status}")
        return TerminalError(f"S3 {code or status}")
    if isinstance(exc, ConnectionError | HTTPClientError):
        return TransientError(f"S3 connection: {type(exc).__name__}")
    return exc


def list_objects(uri: str, missing_ok: bool = False) -> list[ObjectInfo]:
    """Objects under a prefix or folder, sorted by name; a single file lists itself. A missing
    local folder is an error unless `missing_ok` (an S3 prefix with no objects lists nothing)."""
    if is_s3(uri):
        bucket, prefix = _split(uri)
        out = []
        try:
            pages = s3_client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for page in pages:
                for o in page.get("Contents", []):
                    if o["Key"].endswith("/"):
                        continue
                    name = o["Key"][len(prefix) :].lstrip("/") or o["Key"].rsplit("/", 1)[-1]
                    out.append(ObjectInfo(f"s3://{bucket}/{o['Key']}", name, o["Size"], o["ETag"].strip('"')))
        except Exception as exc:  # noqa: BLE001
            raise _classify(exc) from None
        return sorted(out, key=lambda o: o.name)
    root = Path(uri)
    if root.is_file():
        st = root.stat()
        return [ObjectInfo(str(root), root.name, st.st_size, f"{st.st_mtime_ns}-{st.st_size}")]
    if not root.is_dir():
        if missing_ok and not root.exists():
            return []
        raise TerminalError("source does not exist or is not readable")
    out = []
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.name.startswith("."):
            st = p.stat()
            out.append(ObjectInfo(str(p), str(p.relative_to(root)), st.st_size, f"{st.st_mtime_ns}-{st.st_size}"))
    return out


def read_bytes(uri: str) -> bytes:
    """The whole object. A missing one raises FileNotFoundError, on S3 as locally."""
    if is_s3(uri):
        from botocore.exceptions import ClientError

        bucket, key = _split(uri)
        try:
            return s3_client().get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError("no such object") from None
            raise _classify(exc) from None
        except Exception as exc:  # noqa: BLE001
            raise _classify(exc) from None
    return Path(uri).read_bytes()


class TornObject(TerminalError):
    """A small JSON object (manifest, lock, state) that is not whole: a crash while it was written."""


def read_json(uri: str) -> dict | None:
    """A small JSON object (state, manifest, lock), or None if there is none; TornObject (naming
    the object, which holds no note text) if it is empty or not whole JSON."""
    try:
        data = read_bytes(uri)
    except FileNotFoundError:
        return None
    try:
        return json.loads(data)
    except ValueError:
        raise TornObject(f"not whole JSON ({len(data)} bytes): {uri}") from None


class _S3Body:
    """An S3 object's body, read in chunks; its errors classified like every other S3 call's."""

    def __init__(self, body):  # noqa: ANN001 - a botocore StreamingBody
        self.body = body

    def read(self, n: int = -1) -> bytes:
        try:
            return self.body.read(n if n >= 0 else None)
        except Exception as exc:  # noqa: BLE001
            raise _classify(exc) from None

    def close(self) -> None:
        self.body.close()


@contextlib.contextmanager
def open_stream(uri: str) -> Iterator[BinaryIO]:
    """An object opened for chunked reading (never read whole here). A missing one raises
    FileNotFoundError, an unreadable local file its OSError, S3 errors TransientError/TerminalError."""
    if is_s3(uri):
        from botocore.exceptions import ClientError

        bucket, key = _split(uri)
        try:
            body = _S3Body(s3_client().get_object(Bucket=bucket, Key=key)["Body"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError("no such object") from None
            raise _classify(exc) from None
        except Exception as exc:  # noqa: BLE001
            raise _classify(exc) from None
    else:
        body = open(uri, "rb")  # noqa: SIM115 - closed below
    try:
        yield body  # type: ignore[misc]
    finally:
        body.close()


def iter_lines(uri: str, gz: bool, limits: Limits | None = None) -> Iterator[tuple[int, bytes | None]]:
    """(1-based line number, line) for each non-blank line, streamed within `limits`: the object
    is never held whole in memory, gzip included (a line over the record limit gives None). A
    broken gzip stream, or one over the object limit, raises RecordError."""
    limits = limits or Limits()
    with open_stream(uri) as raw:
        yield from split_lines(read_chunks(raw, gz, limits), limits.max_record_bytes)


def write_bytes(uri: str, data: bytes) -> None:
    """Whole-object write; local files appear atomically (temp file + rename)."""
    if is_s3(uri):
        bucket, key = _split(uri)
        try:
            s3_client().put_object(Bucket=bucket, Key=key, Body=data, **s3_settings().put_args())
        except Exception as exc:  # noqa: BLE001
            raise _classify(exc) from None
        return
    _write_local(Path(uri), data, exclusive=False)


# operational state (source paths, plans, the lock) is the owner's alone; tables and reports are
# de-identified and readable by the owner's group (the research team), by no one else
PRIVATE_PARTS = frozenset({"_state", "_staging", "_lock"})


def local_mode(path: Path) -> int:
    return 0o600 if PRIVATE_PARTS & set(path.parts) else 0o640


def _write_local(path: Path, data: bytes, exclusive: bool) -> bool:
    """The file appears whole: a temp file renamed (or, exclusive, hard-linked) into place, with
    its mode (`local_mode`) set before it appears."""
    mode = local_mode(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())  # the bytes are on disk before the name points at them
        if exclusive:
            os.link(tmp, path)  # fails if the name exists
        else:
            os.replace(tmp, path)
        _fsync_dir(path.parent)  # and the name itself survives a power cut
        return True
    except FileExistsError:
        return False
    finally:
        Path(tmp).unlink(missing_ok=True)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse to sync a directory: the rename is then as durable as they make it
    finally:
        os.close(fd)


def create_exclusive(uri: str, data: bytes) -> bool:
    """Write an object only if none exists at `uri` (whole and at once); False if one does.
    S3: a conditional PUT (If-None-Match: *). Local: a temp file hard-linked into place."""
    if is_s3(uri):
        from botocore.exceptions import ClientError

        bucket, key = _split(uri)
        try:
            s3_client().put_object(Bucket=bucket, Key=key, Body=data, IfNoneMatch="*", **s3_settings().put_args())
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (409, 412):
                return False
            raise _classify(exc) from None
        except Exception as exc:  # noqa: BLE001
            raise _classify(exc) from None
        return True
    return _write_local(Path(uri), data, exclusive=True)


def exists(uri: str) -> bool:
    if is_s3(uri):
        from botocore.exceptions import ClientError

        bucket, key = _split(uri)
        try:
            s3_client().head_object(Bucket=bucket, Key=key)
            return True
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                return False
            raise _classify(exc) from None
        except Exception as exc:  # noqa: BLE001
            raise _classify(exc) from None
    return Path(uri).is_file()


def delete(uri: str) -> None:
    """Remove one object; a missing one is not an error."""
    if is_s3(uri):
        bucket, key = _split(uri)
        try:
            s3_client().delete_object(Bucket=bucket, Key=key)
        except Exception as exc:  # noqa: BLE001
            raise _classify(exc) from None
        return
    Path(uri).unlink(missing_ok=True)


def delete_prefix(uri: str) -> None:
    if is_s3(uri):
        bucket, prefix = _split(uri)
        del bucket, prefix
        for o in list_objects(uri):
            delete(o.uri)
        return
    root = Path(uri)
    if root.is_file():
        root.unlink()
    elif root.is_dir():
        for p in sorted(root.rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()
        root.rmdir()


def write_parquet(table: pa.Table, uri: str, compression: str = "zstd") -> None:
    buf = io.BytesIO()
    pq.write_table(table, buf, compression=None if compression == "none" else compression)
    write_bytes(uri, buf.getvalue())


def parquet_file(uri: str) -> pq.ParquetFile:
    """One download; read columns from it as often as needed."""
    return pq.ParquetFile(io.BytesIO(read_bytes(uri)))


def read_parquet(uri: str, columns: list[str] | None = None) -> pa.Table:
    return parquet_file(uri).read(columns=columns)
