"""Every shell script parses (`bash -n`): a script run once a week breaks on a stray quote otherwise."""

import subprocess
from pathlib import Path

import pytest

from tests.helpers.tiny import REPO

SCRIPTS = sorted((REPO / "scripts").glob("*.sh")) + [REPO / ".ci" / "run"]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_the_script_parses(script: Path) -> None:
    done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
