"""What the console commands share: their own arguments apart from fau-train's, and one line (not a
traceback) for input errors.
"""

import os
import sys
from collections.abc import Callable
from typing import TypeVar

from fau_lightning.errors import InputError

Result = TypeVar("Result")
INPUT_ERRORS = (InputError, FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError)


def input_error_line(err: BaseException) -> str:
    """The error as one line that names the path or setting."""
    if isinstance(err, OSError) and err.filename is not None and err.strerror:
        return f"{err.filename}: {err.strerror}"
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def exit_on_input_error(prog: str, run: Callable[[], Result]) -> Result:
    """Run a console command; an error in what the user gave ends it with one line on stderr,
    `<prog>: error: <path or setting>: <what is wrong>`, and exit status 2. `FAU_DEBUG=1` shows the
    traceback instead. Any other exception is a bug and propagates.
    """
    try:
        return run()
    except Exception as err:
        cause = _input_error_in(err)
        if cause is None or os.environ.get("FAU_DEBUG", "") not in ("", "0"):
            raise
        print(f"{prog}: error: {input_error_line(cause)}", file=sys.stderr)
        raise SystemExit(2) from None


def _input_error_in(err: BaseException) -> BaseException | None:
    """The input error itself, or the one a library wrapped (jsonargparse wraps errors raised while
    instantiating a class from the config).
    """
    seen = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, INPUT_ERRORS):
            return err
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return None


def split_at_double_dash(argv: list[str]) -> tuple[list[str], list[str]]:
    """(the command's own arguments, the fau-train overrides after `--`)."""
    if "--" not in argv:
        return argv, []
    cut = argv.index("--")
    return argv[:cut], argv[cut + 1 :]


def config_args(paths: list[str]) -> list[str]:
    """`--config PATH` for each path, in order (later files overlay earlier ones)."""
    return [a for path in paths for a in ("--config", path)]
