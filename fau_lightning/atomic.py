"""Writes that either complete or leave the old file (or nothing): temporary file, then rename."""

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


def write_atomically(path: str | os.PathLike, write: Callable[[IO[bytes]], Any]) -> None:
    """Write `path` through `.<name>.tmp-<pid>` beside it, renamed into place when complete."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            write(f)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json_atomically(path: str | os.PathLike, value: Any) -> None:
    write_atomically(path, lambda f: f.write(json.dumps(value, indent=2).encode()))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Delete the temporary files in `folder` that `write_atomically` left behind in a process that
    is gone (killed mid-write); returns them. A write still under way is left alone.
    """
    stale = []
    for tmp in Path(folder).glob(".*.tmp-*"):
        pid = tmp.name.rsplit("-", 1)[1]
        if pid.isdigit() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)
            stale.append(tmp)
    return stale
