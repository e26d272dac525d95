"""JSON loading for untrusted records: every way a record fails to load is a RecordError with a
reason code (the parsers quarantine it), never an exception that stops a run."""

from __future__ import annotations

import json

from transforms.errors import RecordError


class JsonFailure(RecordError):
    pass


def load_json(raw: bytes | str) -> object:
    """json.loads, with the two ways valid-looking JSON still fails named: nesting deeper than
    Python recurses, and integers over Python's 4,300-digit limit. Raises JsonFailure."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise JsonFailure("invalid_json", f"JSON does not parse at column {exc.colno}") from None
    except RecursionError:
        raise JsonFailure("json_too_deep", "JSON nests deeper than the parser allows") from None
    except UnicodeDecodeError:  # a ValueError too: caught first
        raise JsonFailure("bad_encoding", "JSON text does not decode") from None
    except ValueError:  # int('9' * 5000) under sys.int_info.default_max_str_digits
        raise JsonFailure("json_number_too_long", "a JSON number has more digits than the parser allows") from None
