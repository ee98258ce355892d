"""The plain network a checkpoint holds, rebuilt without Lightning: for prediction, export and analysis."""

import os

from torch import nn

from fau_lightning.errors import CheckpointError, SettingError
from fau_lightning.models.factory import spec_from_arguments

NETWORK_PREFIX = "model."  # where a task keeps its network's weights in the state_dict


def network_from_checkpoint(checkpoint: dict, source: str | os.PathLike) -> nn.Module:
    """The task's network (the one its hyper-parameters name) with its trained weights, in evaluation mode.

    Args:
        checkpoint: a loaded checkpoint (`read_checkpoint`).
        source: its file, for messages.

    Raises:
        CheckpointError: the network cannot be built, or the weights do not fit it.
    """
    hparams = checkpoint.get("hyper_parameters") or {}
    try:
        network = spec_from_arguments(hparams, weights=False).build()
    except (SettingError, TypeError) as err:
        raise CheckpointError(f"{source}: its network cannot be built ({err})") from err
    weights = {
        k.removeprefix(NETWORK_PREFIX): v for k, v in checkpoint["state_dict"].items() if k.startswith(NETWORK_PREFIX)
    }
    try:
        network.load_state_dict(weights)
    except RuntimeError as err:
        first = str(err).strip().splitlines()[1:2] or [str(err)]
        raise CheckpointError(f"{source}: its weights do not fit its network ({first[0].strip()})") from err
    return network.eval()
