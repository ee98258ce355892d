"""Tiny settings every end-to-end test trains with: the tiny synthetic set and a small network."""

from dataclasses import asdict
from pathlib import Path

from fau_lightning.synthetic.dataset import SyntheticConfig

TINY_SYNTHETIC = SyntheticConfig(num_subjects=12, seed=3, min_frames=4, max_frames=5, frame_width=160)

REPO = Path(__file__).resolve().parents[2]


def tiny_args(root: Path, save_dir: Path, *extra: str) -> list[str]:
    synthetic = [f"--data.synthetic.{name}={value}" for name, value in asdict(TINY_SYNTHETIC).items()]
    return [
        "--config",
        str(REPO / "configs" / "synthetic.yaml"),
        f"--data.root={root}",
        *synthetic,
        f"--data.cache_dir={save_dir / 'cache'}",
        "--data.image_size=32",
        "--data.batch_size=32",
        "--model.widths=[8, 16, 32]",
        "--model.hidden_units=16",
        "--trainer.max_epochs=2",
        "--trainer.enable_progress_bar=false",
        "--trainer.enable_model_summary=false",
        f"--trainer.logger.init_args.save_dir={save_dir}",
        f"--trainer.default_root_dir={save_dir}",
        *extra,
    ]
