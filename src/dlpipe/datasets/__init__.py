"""Dataset fetching from pinned sources, with checksums and validation; one module per dataset.

`DatasetError` lives here so that a stage can catch every data problem with one `except` and
print its message (which always names the file and the fix) instead of a traceback.
"""

from dlpipe.errors import InputError


class DatasetError(InputError):
    """A data file is missing, corrupt or not what the pinned source promised."""
