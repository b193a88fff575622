"""Exceptions raised by msroi.

Every error a user can cause (a bad file, an impossible budget, an unknown model, an
argument out of range) is an ``MsroiError`` whose message is one line that names the file
or the option at fault, so command-line programs can print it as it is and exit non-zero.
The subclasses also derive from the built-in exception a Python caller would expect
(``ValueError`` for a bad value, ``LookupError`` for an unknown name), so ``except
ValueError`` keeps working.
"""


class MsroiError(Exception):
    """Base class of the errors msroi reports to users."""


class InvalidArgumentError(MsroiError, ValueError):
    """An argument of the API (or an option of a command) has a value msroi cannot use."""


class ImageReadError(MsroiError, ValueError):
    """An input image is missing, unreadable, corrupt, damaged or too large."""


class OutputRefusedError(MsroiError):
    """An output may not be written there: it would replace an input, a file msroi did not
    write, a folder or a device; or the place cannot be written at all."""


class ModelError(MsroiError, LookupError):
    """A model preset is unknown, incomplete, of the wrong kind or fails its integrity check."""


class BudgetError(MsroiError, ValueError):
    """A size target cannot be met."""
