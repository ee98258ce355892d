"""Writes that either complete or leave the old file (or nothing): temporary file, then rename."""

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


def write_atomically(path: str | os.PathLike, write: Callable[[IO[bytes]], Any]) -> None:
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
