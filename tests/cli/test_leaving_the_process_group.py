"""A console command leaves its distributed process group before it exits, whether it ends well or on
an input error: left to the interpreter's shutdown, gloo's threads abort a rank now and then (SIGABRT;
the two-node test failed so in CI while rank zero was still judging the verdict).
"""

from pathlib import Path

import pytest
import torch.distributed as dist

from fau_lightning.cli.common import exit_on_input_error
from fau_lightning.errors import SettingError


@pytest.mark.parametrize("ends_with_input_error", [False, True])
def test_a_command_leaves_its_process_group(tmp_path: Path, ends_with_input_error: bool) -> None:
    def command() -> str:
        dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
        if ends_with_input_error:
            raise SettingError("must be positive", "batch_size")
        return "done"

    try:
        if ends_with_input_error:
            with pytest.raises(SystemExit):
                exit_on_input_error("fau-test", command)
        else:
            assert exit_on_input_error("fau-test", command) == "done"
        assert not dist.is_initialized()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
