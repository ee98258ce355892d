"""The plain network a checkpoint holds, rebuilt without Lightning: for prediction, export and analysis."""

import inspect
import os

from fau_lightning.errors import CheckpointError
from fau_lightning.models import ZeroBiasCNN

NETWORK_PREFIX = "model."  # where a task keeps its network's weights in the state_dict


def network_from_checkpoint(checkpoint: dict, source: str | os.PathLike) -> ZeroBiasCNN:
    """The task's network with its trained weights, in evaluation mode.

    Args:
        checkpoint: a loaded checkpoint (`read_checkpoint`).
        source: its file, for messages.

    Raises:
        CheckpointError: the weights do not fit the network its hyper-parameters describe.
    """
    hparams = checkpoint.get("hyper_parameters") or {}
    accepted = inspect.signature(ZeroBiasCNN).parameters
    network = ZeroBiasCNN(**{k: v for k, v in hparams.items() if k in accepted})
    weights = {
        k.removeprefix(NETWORK_PREFIX): v for k, v in checkpoint["state_dict"].items() if k.startswith(NETWORK_PREFIX)
    }
    try:
        network.load_state_dict(weights)
    except RuntimeError as err:
        first = str(err).strip().splitlines()[1:2] or [str(err)]
        raise CheckpointError(f"{source}: its weights do not fit its network ({first[0].strip()})") from err
    return network.eval()
