"""Mixed precision chosen for the device the run lands on."""

import torch


def precision_for(accelerator: str | None) -> str:
    """bf16-mixed on a CUDA GPU with bf16, 16-mixed on other CUDA GPUs, 32-true elsewhere (CPU).

    Args:
        accelerator: the Trainer's accelerator setting ("auto", "gpu", "cuda", "cpu", ...).
    """
    wants_gpu = str(accelerator or "auto") in ("auto", "gpu", "cuda")
    if not (wants_gpu and torch.cuda.is_available()):
        return "32-true"
    return "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"
