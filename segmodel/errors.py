"""The one exception type for bad user input.

Everything a user hands to segrun — data files, training configs, study specs, command-line
arguments — is checked, and a problem is raised as :class:`InputError`. The command line prints
it as one paragraph (``file:line:col: key: message``) and exits with status 2, never with a
traceback.
"""

from __future__ import annotations

from os import PathLike

__all__ = ["InputError", "TrainingError"]


class InputError(Exception):
    """A problem with user input, located as precisely as the input allows.

    Args:
        message: What is wrong and, where it helps, how to fix it.
        path: The file the problem is in.
        line: 1-based line number in ``path``.
        column: 1-based column number in ``path``.
        key: Dotted key (``model.hidden_dim``) or field name the problem concerns.

    Example:
        >>> str(InputError("must be >= 1", path="c.yaml", line=3, column=15, key="model.hidden_dim"))
        'c.yaml:3:15: model.hidden_dim: must be >= 1'
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | PathLike[str] | None = None,
        line: int | None = None,
        column: int | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.column = column
        self.key = key

    def __str__(self) -> str:
        place = ""
        if self.path is not None:
            place = self.path
            if self.line is not None:
                place += f":{self.line}"
                if self.column is not None:
                    place += f":{self.column}"
            place += ": "
        key = f"{self.key}: " if self.key else ""
        return f"{place}{key}{self.message}"


class TrainingError(RuntimeError):
    """Training could not go on (non-finite loss, out of memory); the message says why.

    Not a user-input problem: a study records the trial as failed with this reason and goes on.
    """
