"""Run a command, show its output as it comes, keep it in a log file with the time of each line, and
say at the end how long it was silent at most (and after which line).

    python scripts/log_run.py runs/main_job.log -- .venv/bin/fau-train fit --config configs/synthetic.yaml

Output is read as it is written (progress bars' carriage returns count as output); the log file gets
every line once, prefixed with the seconds since the start. The command's exit status is this one's.
"""

import os
import subprocess
import sys
import time
from pathlib import Path


def run_logged(log_path: Path, command: list[str], append: bool = False) -> tuple[int, float, str]:
    """(exit status, longest silence in seconds, the line said before it) of `command`, its output shown
    and logged.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    start = last = time.monotonic()
    longest, before, pending, previous = 0.0, "(the start)", b"", "(the start)"
    with open(log_path, "a" if append else "w") as log:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        while chunk := os.read(process.stdout.fileno(), 65536):
            now = time.monotonic()
            if now - last > longest:
                longest, before = now - last, previous
            last = now
            sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
            pending += chunk
            *lines, pending = pending.replace(b"\r", b"\n").split(b"\n")
            for line in (text for raw in lines if (text := raw.decode(errors="replace").rstrip())):
                log.write(f"{now - start:8.1f} s  {line}\n")
                previous = line
            log.flush()
        status = process.wait()
        if pending.strip():
            log.write(f"{time.monotonic() - start:8.1f} s  {pending.decode(errors='replace').rstrip()}\n")
        if time.monotonic() - last > longest:
            longest, before = time.monotonic() - last, previous
    return status, longest, before


def main() -> None:
    args = sys.argv[1:]
    append = "--append" in args[: args.index("--")] if "--" in args else False
    if "--" not in args or len(args) < args.index("--") + 2:
        sys.exit("usage: python scripts/log_run.py LOG [--append] -- COMMAND [ARGS...]")
    log_path = Path(args[0])
    status, longest, before = run_logged(log_path, args[args.index("--") + 1 :], append)
    line = f"longest silence: {longest:.1f} s, after: {before[:100]}"
    print(line, flush=True)
    with open(log_path, "a") as log:
        log.write(line + "\n")
    sys.exit(status)


if __name__ == "__main__":
    main()
