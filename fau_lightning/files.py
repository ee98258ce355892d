"""Files written whole, and the keys caches are stored under: the one way each is done in the package.

A write goes to a temporary path beside its target, named by the writing process, and is renamed into
place when complete, so a target is either the old file, the new one, or absent. A temporary left by a
killed process is removed by `remove_stale_temporaries`, which knows the one naming scheme.
"""

import errno
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

from fau_lightning.errors import OutputError

TEMPORARY = re.compile(r"^\..+\.tmp-(\d+)(\.[^.]*)?$")  # what temporary_path makes
# What a write meets that the user must fix: no permission, a read-only or full disk, a size limit.
WRITE_FAILURES = frozenset({errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
CHECKSUM_FIELD = "checksum"  # in every cache entry `save_checked` writes


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
    except OSError as err:
        raise write_failure(err, path) or err
    finally:
        tmp.unlink(missing_ok=True)


def write_failure(err: OSError, path: str | os.PathLike) -> OutputError | None:
    """A failed write as one line naming `path` ("<path>: cannot be written: No space left on device"),
    where the user can fix it; None for anything else.
    """
    if err.errno not in WRITE_FAILURES:
        return None
    failure = OutputError(f"{path}: cannot be written: {err.strerror or os.strerror(err.errno)}")
    failure.__cause__ = err
    return failure


@contextmanager
def scratch_folder(beside: str | os.PathLike) -> Iterator[Path]:
    """A new temporary folder beside `beside` (its temporary path, so `remove_stale_temporaries` sweeps it
    if the process is killed), removed when the block ends.
    """
    folder = temporary_path(beside)
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def write_atomically(path: str | os.PathLike, write: Callable[[IO[bytes]], Any]) -> None:
    """Write `path` through its temporary path, renamed into place when `write` returns."""
    with replaced_when_done(path) as tmp, open(tmp, "wb") as f:
        write(f)


def write_image(path: str | os.PathLike, image: np.ndarray) -> None:
    """Write an image (gray or BGR uint8) in the format its suffix names, atomically: encoded in memory,
    so a full disk is the same one-line error as for any other file.

    Raises:
        OutputError: OpenCV has no encoder for the suffix, or the file cannot be written.
    """
    import cv2  # here, not at the top: most users of this module write no image

    encoded, data = cv2.imencode(Path(path).suffix or ".png", image)
    if not encoded:
        raise OutputError(f"{path}: OpenCV cannot encode an image in this format")
    write_atomically(path, lambda f: f.write(data.tobytes()))


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


def save_checked(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> None:
    """Write `arrays` to one .npz atomically, with a checksum of their names and contents."""
    checksum = np.array(cache_key(*_named(arrays), length=32).encode())
    write_atomically(path, lambda f: np.savez(f, **{CHECKSUM_FIELD: checksum}, **arrays))


def load_checked(path: str | os.PathLike) -> tuple[dict[str, np.ndarray] | None, str]:
    """The arrays `save_checked` wrote, and "" ; or None and why they cannot be trusted (unreadable,
    no checksum, or contents that do not match it).
    """
    try:
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except Exception as err:  # noqa: BLE001 (anything unreadable is untrusted, and said so)
        return None, f"unreadable ({type(err).__name__})"
    stored = arrays.pop(CHECKSUM_FIELD, None)
    if stored is None:
        return None, "has no checksum (written by an earlier version)"
    if stored.dtype.kind != "S" or stored.item() != cache_key(*_named(arrays), length=32).encode():
        return None, "does not match its checksum (changed since it was written)"
    return arrays, ""


def _named(arrays: dict[str, np.ndarray]) -> list[object]:
    return [part for name in sorted(arrays) for part in (name, np.asarray(arrays[name]))]


def file_sha256(path: str | os.PathLike) -> str:
    """The sha256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def json_sha256(value: Any) -> str:
    """The sha256 of `value` as JSON with sorted keys and no spaces (`json.dumps(value, sort_keys=True,
    separators=(",", ":"))`), in hex: what a reader can recompute in any language.
    """
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


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
