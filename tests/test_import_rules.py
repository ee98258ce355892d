"""Every import inside fau_lightning keeps to the rooms table of docs/architecture.md: the test reads the
table from the document itself, so an arrow the document does not allow fails here.
"""

import ast
import re
from pathlib import Path

import pytest

from tests.helpers.tiny import REPO

PACKAGE = REPO / "fau_lightning"
SHARED = "shared"
API = "the package's front (__init__.py)"


def rooms_table() -> tuple[dict[str, str], dict[str, set[str]]]:
    """(file or folder name -> room, room -> rooms it may import) from docs/architecture.md."""
    text = (REPO / "docs" / "architecture.md").read_text()
    table = text[text.index("## Rooms") :].split("\n\n")[1]
    members, allowed = {}, {}
    for line in table.splitlines()[2:]:
        room_cell, _, may_cell = (cell.strip() for cell in line.strip("|").split("|"))
        names = re.findall(r"`([^`]+)`", room_cell)
        room = SHARED if room_cell.startswith("shared") else names[0].rstrip("/")
        for name in names:
            members[name.rstrip("/").removesuffix(".py")] = room
        allowed[room] = {SHARED if r == "shared" else r.rstrip("/") for r in re.findall(r"`([^`]+)`|shared", may_cell)}
        allowed[room] |= {SHARED} if "shared" in may_cell else set()
        allowed[room] |= set(members.values()) if "everything" in may_cell else set()
        allowed[room].discard("")
    return members, allowed


def room_of(module: str, members: dict[str, str]) -> str | None:
    """The room of a dotted module inside the package (None: outside it)."""
    parts = module.split(".")
    if parts[0] != "fau_lightning":
        return None
    if len(parts) == 1 or parts[1] in ("__init__", "__version__"):
        return API
    if parts[1] == "__main__":
        return "cli"
    if parts[1] not in members:
        raise AssertionError(f"fau_lightning.{parts[1]} is in no room of docs/architecture.md")
    return members[parts[1]]


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in a file, function-level ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            subpackages = [f"{node.module}.{a.name}" for a in node.names if (PACKAGE / a.name).exists()]
            found += [(node.lineno, m) for m in (subpackages if node.module == "fau_lightning" else [node.module])]
    return found


def forbidden_arrows() -> list[str]:
    members, allowed = rooms_table()
    allowed[API] = {"inference", "readers", SHARED}  # the lazy public names: ExpressionModel, sample_photographs
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(REPO).with_suffix("").parts)
        source = room_of(module, members) if path.name != "__init__.py" or path.parent != PACKAGE else API
        for line, imported in imports(path):
            target = room_of(imported, members)
            if target is not None and target != source and target not in allowed.get(source, set()) | {API}:
                wrong.append(f"{path.relative_to(REPO)}:{line}: {source} -> {target} ({imported})")
    return wrong


def test_every_import_keeps_to_the_documented_rooms() -> None:
    assert forbidden_arrows() == []


def test_a_forbidden_arrow_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    planted = PACKAGE / "inference" / "_planted_for_test.py"
    planted.write_text("from fau_lightning.tasks import load_task\n")
    try:
        assert forbidden_arrows() == [
            "fau_lightning/inference/_planted_for_test.py:1: inference -> tasks (fau_lightning.tasks)"
        ]
    finally:
        planted.unlink()


def test_the_table_names_every_folder_and_file() -> None:
    members, allowed = rooms_table()
    on_disk = {p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__")}
    on_disk |= {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert on_disk == set(members)
    assert allowed["inference"] == {"checkpoint", "models", "readers", SHARED}
