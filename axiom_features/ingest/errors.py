"""The error every import failure raises: one line naming the file (and column or row)."""


class IngestError(ValueError):
    """A file cannot be imported; the message is one line and names the file."""
