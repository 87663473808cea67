"""The errors a file can raise on its way to a :class:`~index.model.Report`.

Every one prints as a single line, ``<file>: <reason>``, so that the CLI and the
indexer can report it and move on.  Nothing else may escape the parser: a bug
that does is caught by the property tests in ``tests/test_parse_robust.py``.
"""


class ReportError(Exception):
    """A file that cannot be turned into a report."""

    def __init__(self, reason: str, path: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.path = path

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason


class UnreadableFile(ReportError):
    """Empty, binary, too large, corrupt, or of a format we do not read."""


class UnsupportedFormat(UnreadableFile):
    """A format we recognise but do not read (.doc, .wps, images, archives)."""


class NeedsOCR(UnreadableFile):
    """A PDF without a text layer: a scan."""


class NotAReport(ReportError):
    """Readable text that is not a government information-disclosure annual report."""
