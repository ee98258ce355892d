"""Rules of the code base that reading alone would let slip: short functions, dataclasses with many fields
built by keyword, and the one way each plumbing job is done (files.py, pixels.py).
"""

import ast
import dataclasses
import importlib
import re
import tokenize
from pathlib import Path

import pytest

from fau_lightning.analysis.statistics import AUVerdict
from tests.helpers.tiny import REPO

PACKAGE = REPO / "fau_lightning"
MAX_FUNCTION_LINES = 60
MAX_POSITIONAL_FIELDS = 5


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text())) for path in sorted(PACKAGE.rglob("*.py"))]


def test_no_function_is_longer_than_sixty_lines() -> None:
    long = [
        f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


def _dataclass_names() -> set[str]:
    names = set()
    for path, tree in _modules():
        dotted = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        module = importlib.import_module(dotted)
        classes = [node.name for node in tree.body if isinstance(node, ast.ClassDef)]
        names |= {name for name in classes if dataclasses.is_dataclass(getattr(module, name, None))}
    return names


def test_no_dataclass_is_built_with_more_than_five_positional_arguments() -> None:
    dataclasses_here = _dataclass_names()
    positional = [
        f"{path.relative_to(REPO)}:{node.lineno} {node.func.id}({len(node.args)} positional)"
        for path, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in dataclasses_here
        and len(node.args) > MAX_POSITIONAL_FIELDS
    ]
    assert positional == []


def test_the_verdict_is_built_by_keyword_only() -> None:
    with pytest.raises(TypeError):
        AUVerdict(1, 2, 3)  # type: ignore[misc]


def _code(path: Path, strings: bool) -> str:
    """A file's code without its comments and docstrings, and without any string unless `strings`
    (f-strings build paths).
    """
    docstrings = {
        node.body[0].value.lineno
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    with path.open("rb") as f:
        kept = [
            token.string
            for token in tokenize.tokenize(f.readline)
            if token.type != tokenize.COMMENT
            and not (token.type == tokenize.STRING and (not strings or token.start[0] in docstrings))
        ]
    return " ".join(kept)


@pytest.mark.parametrize(
    ("pattern", "strings", "home", "what"),
    [
        (r"getpid|\.tmp-", True, "files.py", "temporary paths"),
        (r"hashlib", False, "files.py", "cache keys"),
        (r"div_? \( 255 \)|/ 255\b", False, "pixels.py", "uint8 to [0, 1]"),
    ],
)
def test_each_plumbing_job_is_done_in_one_place(pattern: str, strings: bool, home: str, what: str) -> None:
    found = sorted(
        str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py") if re.search(pattern, _code(path, strings))
    )
    assert found == [home], f"{what} outside {home}"
