"""Tiny settings every end-to-end test trains with: the tiny synthetic set and a small network."""

from dataclasses import asdict
from pathlib import Path

from fau_lightning.synthetic.dataset import SyntheticConfig

TINY_SYNTHETIC = SyntheticConfig(num_subjects=12, seed=3, min_frames=4, max_frames=5, frame_width=160)

REPO = Path(__file__).resolve().parents[2]


# A small network trained briefly: what end-to-end tests need, not what results need.
TINY_TRAINING = [
    "--data.batch_size=32",
    "--model.widths=[8, 16, 32]",
    "--model.hidden_units=16",
    "--trainer.max_epochs=2",
    "--trainer.enable_progress_bar=false",
]


def tiny_data_args(root: Path, save_dir: Path, evidence_subjects: int = 0) -> list[str]:
    """Overrides that point a shipped config at the tiny synthetic set in `root` (cache under `save_dir`), 32x32,
    with `evidence_subjects` more people as FAU evidence (the shipped configs' 240 would take minutes).
    """
    synthetic = [f"--data.synthetic.{name}={value}" for name, value in asdict(TINY_SYNTHETIC).items()]
    return [
        f"--data.root={root}",
        *synthetic,
        f"--data.cache_dir={save_dir / 'cache'}",
        "--data.image_size=32",
        f"--data.evidence_subjects={evidence_subjects}",
    ]


def csv_logger_args(save_dir: Path) -> list[str]:
    """Log to CSV under `save_dir` instead of W&B (the overlay resets the logger, so its folder follows it)."""
    return [
        "--config",
        str(REPO / "configs" / "loggers" / "csv.yaml"),
        f"--trainer.logger.init_args.save_dir={save_dir}",
    ]


def tiny_args(root: Path, save_dir: Path, *extra: str) -> list[str]:
    """The main job's config on the tiny set with a tiny network, logging under `save_dir`; `extra` last."""
    return [
        "--config",
        str(REPO / "configs" / "synthetic.yaml"),
        *tiny_data_args(root, save_dir),
        *TINY_TRAINING,
        "--trainer.enable_model_summary=false",
        f"--trainer.logger.init_args.save_dir={save_dir}",
        f"--trainer.default_root_dir={save_dir}",
        *extra,
    ]
