"""Errors that reach a person: one clear line, never a traceback."""


class QualcodeError(Exception):
    """A problem the user can act on; str(err) is the whole message."""


class IngestError(QualcodeError):
    """A file that cannot be imported (unreadable, empty, unsafe, malformed)."""
