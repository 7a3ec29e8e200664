"""Errors of the data layer; each message is ready to show a user as is.

Every message names the file (or folder, or URL) and what was expected, so the command line
prints `str(error)` without a traceback and the dashboard shows it in a notice.
"""

from __future__ import annotations


class DataError(Exception):
    """Base of every data-layer failure."""


class UnknownDatasetError(DataError, KeyError):
    """A dataset name that is not in the registry."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class DataNotFoundError(DataError):
    """No source holds the dataset's files (and downloading was not allowed or not asked)."""


class IdxFormatError(DataError):
    """A file is not a valid IDX file of the expected kind (not gzip, truncated, wrong magic...)."""


class ChecksumError(DataError):
    """A file decodes but its content is not the official one (sha256 of the decompressed bytes)."""


class DownloadError(DataError):
    """Every mirror failed; the message lists each URL with its error and how to supply files by hand."""


class SplitError(DataError):
    """Split settings that the dataset cannot satisfy (e.g. a validation set larger than the data)."""
