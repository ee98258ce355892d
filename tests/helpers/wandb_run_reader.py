"""Read a W&B offline run back from disk, so tests can check what a run really holds.

A `run-<id>.wandb` file is a LevelDB-style log: a 7-byte header (":W&B", magic 0xBEE1, version),
then 32 KiB blocks of records, each with a 7-byte header (crc32, length, type: 1 full, 2 first,
3 middle, 4 last) and a chunk of a serialised `wandb_internal_pb2.Record`.
"""

import json
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

from wandb.proto import wandb_internal_pb2

BLOCK = 32 * 1024
FILE_HEADER = 7
RECORD_HEADER = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def _records(data: bytes):
    if data[:4] != b":W&B":
        raise ValueError("not a W&B run file")
    pos, pending = FILE_HEADER, b""
    while pos + RECORD_HEADER <= len(data):
        space = BLOCK - pos % BLOCK
        if space < RECORD_HEADER:
            pos += space
            continue
        _, length, kind = struct.unpack("<IHB", data[pos : pos + RECORD_HEADER])
        chunk = data[pos + RECORD_HEADER : pos + RECORD_HEADER + length]
        pos += RECORD_HEADER + length
        if kind == 0 and length == 0:
            continue
        pending = chunk if kind in (FULL, FIRST) else pending + chunk
        if kind in (FULL, LAST):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            yield record


def _key(item) -> str:
    return item.key or "/".join(item.nested_key)


@dataclass
class OfflineRun:
    path: Path
    history: list[dict] = field(default_factory=list)
    config: dict = field(default_factory=dict)
    summary: dict = field(default_factory=dict)
    run_id: str = ""
    group: str = ""
    name: str = ""

    @property
    def media_files(self) -> list[Path]:
        return sorted((self.path / "files" / "media").rglob("*.png"))

    def metric(self, name: str) -> list[float]:
        return [row[name] for row in self.history if name in row]


def read_offline_run(run_dir: str | Path, wait_s: float = 30.0) -> OfflineRun:
    """Parse a finished run.

    W&B's background process may still be writing the file when `wandb.finish()` returns, so wait (up to `wait_s`)
    for the run's closing `exit` record.
    """
    run_dir = Path(run_dir)
    deadline = time.monotonic() + wait_s
    while True:
        logs = list(run_dir.glob("run-*.wandb"))
        records = list(_records(logs[0].read_bytes())) if len(logs) == 1 else []
        if any(r.WhichOneof("record_type") == "exit" for r in records):
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"{run_dir}: no finished W&B run file after {wait_s} s")
        time.sleep(0.2)
    run = OfflineRun(run_dir)
    for record in records:
        kind = record.WhichOneof("record_type")
        if kind == "history":
            run.history.append({_key(i): json.loads(i.value_json) for i in record.history.item})
        elif kind == "config":
            run.config.update({_key(i): json.loads(i.value_json) for i in record.config.update})
        elif kind == "run":
            run.run_id, run.group, run.name = record.run.run_id, record.run.run_group, record.run.display_name
        elif kind == "summary":
            run.summary.update({_key(i): json.loads(i.value_json) for i in record.summary.update})
    return run
