"""Exceptions raised by msroi.

Every error a user can cause (a bad file, an impossible budget, an unknown model) is an
``MsroiError`` whose message is one line that names the file or the option at fault, so
command-line programs can print it as it is and exit non-zero.
"""


class MsroiError(Exception):
    """Base class of the errors msroi reports to users."""


class ImageReadError(MsroiError, ValueError):
    """An input image is missing, unreadable, corrupt or too large."""


class ModelError(MsroiError, LookupError):
    """A model preset is unknown, incomplete or fails its integrity check."""


class BudgetError(MsroiError, ValueError):
    """A size target cannot be met."""
