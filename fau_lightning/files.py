"""Files written whole, and the keys caches are stored under: the one way each is done in the package.

A write goes to a temporary path beside its target, named by the writing process, and is renamed into
place when complete, so a target is either the old file, the new one, or absent. A temporary left by a
killed process is removed by `remove_stale_temporaries`, which knows the one naming scheme.
"""

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

TEMPORARY = re.compile(r"^\..+\.tmp-(\d+)(\.[^.]*)?$")  # what temporary_path makes


def unwritable_reason(path: str | os.PathLike, folder: bool) -> str | None:
    """Why `path` cannot take a file (or, with `folder`, a folder) of ours: a folder where a file must go
    or the reverse, or a file where one of its folders must be; None where it can.
    """
    path = Path(path)
    if not folder and path.is_dir():
        return "is a folder; give a file name"
    if folder and path.exists() and not path.is_dir():
        return "is a file; give a folder"
    blocking = next((p for p in reversed(path.parents) if p.exists() and not p.is_dir()), None)
    return f"{blocking} is a file, not a folder" if blocking is not None else None


def temporary_path(path: str | os.PathLike) -> Path:
    """`.<stem>.tmp-<pid><suffix>` beside `path`: hidden, owned by this process, and keeping the suffix
    (OpenCV and the exporters choose a format by it). For a folder too.
    """
    path = Path(path)
    return path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")


@contextmanager
def replaced_when_done(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path to write `path` through: renamed onto `path` when the block ends without an
    error, removed in any case.
    """
    tmp = temporary_path(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomically(path: str | os.PathLike, write: Callable[[IO[bytes]], Any]) -> None:
    """Write `path` through its temporary path, renamed into place when `write` returns."""
    with replaced_when_done(path) as tmp, open(tmp, "wb") as f:
        write(f)


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
    """Delete the temporary files and folders in `folder` left by a process that is gone (killed
    mid-write); returns them. A write still under way is left alone.
    """
    stale = []
    for tmp in Path(folder).glob(".*.tmp-*") if Path(folder).is_dir() else []:
        match = TEMPORARY.match(tmp.name)
        if match and not _alive(int(match.group(1))):
            shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)
            stale.append(tmp)
    return stale


def cache_key(*parts: object, length: int = 16) -> str:
    """The sha256 (first `length` hex digits) of `parts` in order: arrays by shape, type and bytes,
    bytes as they are, anything else as sorted JSON.
    """
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            part = np.ascontiguousarray(part)
            digest.update(f"array{part.shape}{part.dtype}".encode())
            digest.update(part.tobytes())
        elif isinstance(part, bytes):
            digest.update(part)
        else:
            digest.update(json.dumps(part, sort_keys=True, default=str).encode())
        digest.update(b"\x00")
    return digest.hexdigest()[:length]
