"""The base of every expected failure caused by what a user gave (a data file, a setting).

It lives at the bottom of the layers so that the stage runner, which may not import the data
layer, can still tell bad input (print the message, exit 1) from a bug (show the traceback).
"""

from __future__ import annotations


class InputError(Exception):
    """Bad input; the message names the file and the row, column or key, and says what to do."""
