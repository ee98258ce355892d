"""`fau-train`: the LightningCLI entry point (fit / validate / test / predict)."""

import os

import pytorch_lightning as pl
from pytorch_lightning.cli import LightningCLI, SaveConfigCallback
from pytorch_lightning.loggers import WandbLogger

from fau_lightning.tasks import ExpressionClassifier

CONFIG_FILENAME = "fau_config.yaml"  # W&B writes its own config.yaml; ours must not clash with it


class LogConfigCallback(SaveConfigCallback):
    """Keep the resolved config with each run: as a file in the run's folder and in its logged config.

    With W&B the file goes into the run's `files/` folder, so it is uploaded with the run; with other
    loggers into their per-run log folder. Runs sharing a save_dir never overwrite each other's copy.
    """

    def save_config(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        config = self.config.as_dict()
        config.pop("config", None)  # the paths of the files given, not settings
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                folder = logger.experiment.dir
                logger.experiment.config.update({"cli": config}, allow_val_change=True)
            else:
                folder = logger.log_dir
                logger.log_hyperparams({"cli": config})
            if folder:
                os.makedirs(folder, exist_ok=True)
                self.parser.save(self.config, os.path.join(folder, self.config_filename), skip_none=False, overwrite=True)


class FauCLI(LightningCLI):
    def add_arguments_to_parser(self, parser) -> None:
        parser.link_arguments("data.num_classes", "model.num_classes", apply_on="instantiate")
        parser.link_arguments("data.class_names", "model.class_names", apply_on="instantiate")
        parser.add_argument(
            "--test_after_fit",
            type=bool,
            default=False,
            help="fit only: test the best checkpoint (by validation accuracy) on the test fold when fit ends",
        )

    def after_fit(self) -> None:
        if not self.config[self.subcommand].get("test_after_fit"):
            return
        checkpoint = self.trainer.checkpoint_callback
        ckpt_path = "best" if checkpoint is not None and checkpoint.best_model_path else None
        results = self.trainer.test(self.model, datamodule=self.datamodule, ckpt_path=ckpt_path)
        if self.trainer.is_global_zero:
            print(summary(self.trainer, results[0] if results else {}, checkpoint.best_model_path if ckpt_path else None))


def summary(trainer: pl.Trainer, results: dict, checkpoint: str | None) -> str:
    """What a user wants at the end of a run: the test figures and where everything went."""
    lines = [f"test accuracy (held-out subjects): {results.get('test/acc', float('nan')):.4f}"]
    lines.append(f"test mean per-class accuracy:      {results.get('test/acc_macro', float('nan')):.4f}")
    lines.append(f"checkpoint tested: {checkpoint or 'the final weights (no checkpoint callback)'}")
    for logger in trainer.loggers:
        if isinstance(logger, WandbLogger):
            run, run_dir = logger.experiment, os.path.dirname(logger.experiment.dir)
            lines.append(f"W&B run ({'offline' if run.offline else 'online'}): {run_dir}")
            if run.offline:
                lines.append(f"  upload it later with: wandb sync {run_dir}")
        elif logger.log_dir:
            lines.append(f"{type(logger).__name__} logs: {logger.log_dir}")
    return "\n".join(lines)


def run_cli(args: list[str] | None = None, **cli_kwargs) -> FauCLI:
    """Run the CLI and return it (trainer, model, datamodule); `args` lets tests skip the subprocess."""
    os.environ.setdefault("WANDB_ERROR_REPORTING", "false")
    settings = {
        "subclass_mode_data": True,
        "save_config_callback": LogConfigCallback,
        "save_config_kwargs": {"config_filename": CONFIG_FILENAME, "save_to_log_dir": False},
        "args": args,
        **cli_kwargs,
    }
    return FauCLI(ExpressionClassifier, pl.LightningDataModule, **settings)


def main(args: list[str] | None = None) -> None:
    """The `fau-train` console script."""
    run_cli(args)


if __name__ == "__main__":
    main()
