"""chartsift's errors, pure so that transforms and flows both raise them. Errors say whether they
are worth retrying. Messages carry types and counts, never note text."""


class ChartsiftError(Exception):
    """Every error a user can meet: the CLI prints its one-line message and exits with its code
    (documented in the README), never a traceback."""


class RecordError(ChartsiftError):
    """One input record cannot be used (bad base64, no note text, a non-note HL7 message...): it is
    quarantined with `reason`; the message names the failure, never a value from the record."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class TransientError(ChartsiftError):
    """Worth retrying: throttling, 5xx, dropped connections, a busy engine."""


class TerminalError(ChartsiftError):
    """Not worth retrying: missing source, access denied, bad configuration."""


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TransientError)


class ConfigError(TerminalError):
    """Settings that cannot run: a missing or weak secret, a bad combination of options."""


class KeyMismatch(TerminalError):
    """The output was written under another site key: a run would split its patients silently."""


class EmptySource(TerminalError):
    """The source listed no object at all: most often a mistyped path or prefix."""


class AccountingError(TerminalError):
    """The run's counts do not add up: a record was planned but came back as neither a note nor a
    quarantine record, or notes were lost between stages. Nothing is published."""


class LockLost(TerminalError):
    """Another run took this run's output lock over (it looked stale): this run stops writing."""


class DriftError(ChartsiftError):
    """Quality metrics drifted and monitor.on_drift = error (the output was published)."""


class QueryError(TerminalError):
    """`chartsift query` cannot run: no output at the path, an output without the table asked for,
    or SQL that DuckDB refuses (its first line is the message)."""
