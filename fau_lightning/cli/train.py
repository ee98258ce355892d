"""`fau-train`: the LightningCLI entry point (fit / validate / test / predict)."""

import os
import sys
from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.callbacks import BasePredictionWriter
from pytorch_lightning.cli import LightningCLI, SaveConfigCallback
from pytorch_lightning.loggers import WandbLogger
from pytorch_lightning.utilities.rank_zero import rank_zero_only

from fau_lightning import callbacks as _callbacks  # noqa: F401  imported so callbacks resolve by short name
from fau_lightning.analysis.controls import default_control_cache
from fau_lightning.analysis.layers import AUTO, module_path, resolve_layer
from fau_lightning.analysis.pipeline import verdict_line
from fau_lightning.analysis.settings import AnalysisSettings
from fau_lightning.callbacks import PredictionWriter
from fau_lightning.checkpoint import checked_task_name, read_checkpoint
from fau_lightning.checkpoint.record import MODEL_RECORD_KEY, SYNTHETIC_WARNING, record_test_result
from fau_lightning.cli.common import check_config_files, exit_on_input_error, output_path, show_progress
from fau_lightning.cli.evaluation import Evaluation, evaluate_checkpoint
from fau_lightning.cli.evaluation_logging import log_evaluation
from fau_lightning.cli.lightning_internals import drop_wandb_anonymous
from fau_lightning.cli.precision import precision_for
from fau_lightning.cli.quiet import silence_library_noise
from fau_lightning.datamodules import (
    FaceDataModule,  # imports every data module, so short names resolve
)
from fau_lightning.files import write_json_atomically
from fau_lightning.progress import StageProgress
from fau_lightning.tasks import FaceTask

CONFIG_FILENAME = "fau_config.yaml"  # W&B writes its own config.yaml; ours must not clash with it
LIGHTNING_CHECKPOINT_NAMES = ("last", "best", "hpc")  # resolved by Lightning itself
SUBCOMMANDS = ("fit", "validate", "test", "predict")
WANDB_DATA_FOLDER = "wandb_data"  # under the logger's save_dir: W&B's staged files (table images), kept with the run


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
                self.parser.save(
                    self.config, os.path.join(folder, self.config_filename), skip_none=False, overwrite=True
                )


class FauCLI(LightningCLI):
    def add_arguments_to_parser(self, parser) -> None:
        parser.set_defaults({"model": {"class_path": "fau_lightning.tasks.ExpressionClassifier"}})
        parser.link_arguments("data.num_classes", "model.init_args.num_classes", apply_on="instantiate")
        parser.link_arguments("data.class_names", "model.init_args.class_names", apply_on="instantiate")
        parser.add_argument(
            "--test_after_fit",
            type=bool,
            default=False,
            help="fit only: test the best checkpoint (by validation accuracy) on the test fold when fit ends",
        )
        parser.add_argument(
            "--checkpoint_dir",
            type=str | None,
            default=None,
            help="fit only: where checkpoints go (default: the logger's run folder); "
            "a fixed folder lets --ckpt_path last resume",
        )
        parser.add_argument(
            "--results_json",
            type=str | None,
            default=None,
            help="after testing, write the test metrics and confusion matrix here (written atomically)",
        )
        parser.add_argument(
            "--verdict",
            type=bool,
            default=True,
            help="fit with test_after_fit: also judge the tested checkpoint's FAU verdict (data with FACS codes); "
            "false skips it for a quick experiment (the report still holds the test, the curves and the filters)",
        )
        parser.add_class_arguments(AnalysisSettings, "analysis", help="the analysis of the tested checkpoint")
        parser.add_argument(
            "--precision_by_device",
            type=bool,
            default=False,
            help="when --trainer.precision is not given: bf16-mixed on a GPU with bf16, 16-mixed on other GPUs, "
            "32-true on a CPU",
        )

    def parse_arguments(self, parser, args) -> None:  # noqa: ANN001 (LightningCLI's own signature)
        """Parse, then check a `--ckpt_path` file before Lightning reads its hyper-parameters: a file that is
        missing, damaged or unsafe, or that names a class other than this package's tasks, stops here with
        one message, before anything it names is imported. Checkpoints load tensors and plain values only.
        """
        super().parse_arguments(parser, args)
        subcommand = self.config.get("subcommand")
        if not subcommand:
            return
        config = self.config[subcommand]
        if config.get("weights_only") is None:
            config.weights_only = True
        path = config.get("ckpt_path")
        named = path and str(path) not in LIGHTNING_CHECKPOINT_NAMES and not str(path).startswith("registry")
        if named:
            checked_task_name(read_checkpoint(path), path)

    def before_instantiate_classes(self) -> None:
        config = self.config[self.subcommand] if self.subcommand else self.config
        if config.get("precision_by_device") and config.trainer.get("precision") is None:
            config.trainer.precision = precision_for(config.trainer.get("accelerator"))
        loggers = config.trainer.get("logger")
        for logger in loggers if isinstance(loggers, list) else [loggers]:
            _claim_logger_folders(logger)

    def instantiate_trainer(self, **kwargs) -> pl.Trainer:
        trainer = super().instantiate_trainer(**kwargs)
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                drop_wandb_anonymous(logger)
                # W&B stages the files its tables name (their images) here: kept under save_dir with the run
                os.environ["WANDB_DATA_DIR"] = str(Path(logger.save_dir).resolve() / WANDB_DATA_FOLDER)
        if self.subcommand == "predict" and not any(isinstance(c, BasePredictionWriter) for c in trainer.callbacks):
            trainer.callbacks.append(PredictionWriter())
        return trainer

    def _setting(self, name: str) -> object:
        return self.config[self.subcommand].get(name)

    def _check_checkpoint_against_data(self) -> None:
        """Before a checkpoint meets data: its classes must be the data's (a folder's are put in the
        checkpoint's order), and a model of synthetic faces says so when it meets real ones.
        """
        path = self._setting("ckpt_path")
        if not path or not os.path.isfile(path):
            return
        checkpoint = read_checkpoint(path)
        names = checkpoint.get("hyper_parameters", {}).get("class_names")
        if names:
            self.datamodule.match_classes(list(names), path)
            self.model.class_names = list(names)
        record = checkpoint.get(MODEL_RECORD_KEY, {})
        if record.get("training_data", {}).get("synthetic") and not self.datamodule.synthetic_faces:
            print(f"fau-train: warning: {SYNTHETIC_WARNING}", file=sys.stderr)

    def _check_outputs(self) -> None:
        """Where results will be written is checked (and its folders made) before any work."""
        if self._setting("results_json"):
            output_path(self._setting("results_json"), "--results_json")

    def before_validate(self) -> None:
        self._check_outputs()
        self._check_checkpoint_against_data()

    before_test = before_predict = before_validate

    def before_fit(self) -> None:
        self._check_outputs()
        self._check_judged_layer()
        callback = self.trainer.checkpoint_callback
        if self._setting("checkpoint_dir") and callback is not None:
            callback.dirpath = self._setting("checkpoint_dir")
        last = (
            Path(callback.dirpath) / f"{callback.CHECKPOINT_NAME_LAST}{callback.FILE_EXTENSION}"
            if callback is not None and callback.dirpath
            else None
        )
        if self._setting("ckpt_path") == "last" and last is not None and last.is_file():
            checked_task_name(read_checkpoint(last), last)  # a damaged or foreign last.ckpt: one line

    def _check_judged_layer(self) -> None:
        """A layer the network lacks (or that gives no feature maps) is one line now, not after training."""
        if not (self._setting("test_after_fit") and self._setting("verdict")):
            return
        layer, size = self.config_init[self.subcommand]["analysis"].layer, getattr(self.datamodule, "image_size", None)
        if size:
            resolve_layer(self.model.model, layer, size)
        elif layer != AUTO:  # data at its own size: the module at least must exist
            module_path(self.model.model, layer)

    def after_fit(self) -> None:
        """With test_after_fit: the best checkpoint (by validation) through the one evaluation path: tested
        with the run's Trainer, judged, its report written beside it and logged into the run.
        """
        if not self._setting("test_after_fit"):
            return
        callback = self.trainer.checkpoint_callback
        checkpoint = callback.best_model_path if callback is not None and callback.best_model_path else ""
        progress = StageProgress()
        evaluation = evaluate_checkpoint(
            checkpoint,
            self.model,
            self.datamodule,
            self.trainer,
            self.config_init[self.subcommand]["analysis"],
            default_control_cache(),
            verdict=self._setting("verdict"),
            progress=progress,
        )
        if evaluation is None:  # not rank zero
            return
        log_evaluation(self.trainer.loggers, evaluation, self.trainer.global_step)
        if checkpoint:  # the model card's test figures travel with the checkpoint
            record_test_result(checkpoint, evaluation.test["split"], evaluation.test["metrics"])
        self._write_results(evaluation.test, checkpoint)
        print(summary(self.trainer, self.model, evaluation.test["metrics"], checkpoint, evaluation))

    def after_test(self) -> None:
        if not self.trainer.is_global_zero:
            return
        metrics = {k: float(v) for k, v in self.trainer.callback_metrics.items() if k.startswith("test/")}
        test = self.model.test_record(metrics, self.datamodule.test_split_name)
        self._write_results(test, self._setting("ckpt_path"))
        print(summary(self.trainer, self.model, metrics, self._setting("ckpt_path")))

    def _write_results(self, test: dict, checkpoint: str | None) -> None:
        """--results_json: the test record and the checkpoint it is of (written atomically)."""
        if self._setting("results_json"):
            write_json_atomically(self._setting("results_json"), {**test, "checkpoint": checkpoint})


def _claim_logger_folders(logger) -> None:  # noqa: ANN001 (a logger's config: class_path and init_args)
    """A CSV or TensorBoard logger without a version gets the next free one now (`claim_version`), so
    runs started together in one folder never share one; other ranks leave it to rank zero's folder.
    """
    if not logger or not hasattr(logger, "class_path") or rank_zero_only.rank != 0:
        return
    if logger.class_path.rsplit(".", 1)[-1] not in ("CSVLogger", "TensorBoardLogger"):
        return
    args = logger.init_args
    if args.get("version") is None:
        name = args.get("name")
        name = "lightning_logs" if name is None else name
        args.version = claim_version(Path(args.get("save_dir") or ".") / name)


def claim_version(root: Path) -> int:
    """The next free `version_N` folder under `root`, made here so that runs started together in one
    folder never share one (Lightning's own choice only looks at what exists yet).
    """
    root.mkdir(parents=True, exist_ok=True)
    taken = [int(p.name.removeprefix("version_")) for p in root.glob("version_*") if p.name[8:].isdigit()]
    version = max(taken, default=-1) + 1
    while True:
        try:
            (root / f"version_{version}").mkdir()
            return version
        except FileExistsError:
            version += 1


def summary(
    trainer: pl.Trainer,
    task: FaceTask,
    results: dict,
    checkpoint: str | None,
    evaluation: Evaluation | None = None,
) -> str:
    """What a user wants at the end of a run: the test figures (as the task's report reads them), where
    everything went and, after fit, the verdict and the report, last.
    """
    tested_on = getattr(trainer.datamodule, "test_split_name", "test split")
    lines = task.report.summary_lines(results, tested_on)
    lines.append(f"checkpoint tested: {checkpoint or 'the final weights (no checkpoint callback)'}")
    for logger in trainer.loggers:
        if isinstance(logger, WandbLogger):
            run, run_dir = logger.experiment, os.path.dirname(logger.experiment.dir)
            lines.append(f"W&B run ({'offline' if run.offline else 'online'}): {run_dir}")
            lines.append(f"  in this terminal: wandb leet {run_dir}")
            if run.offline:
                lines.append(f"  upload it later with: wandb sync {run_dir}")
        elif logger.log_dir:
            lines.append(f"{type(logger).__name__} logs: {logger.log_dir}")
    if evaluation is not None:
        fau = evaluation.analysis.fau
        lines.append(verdict_line(fau) if fau is not None else f"FAU verdict: none ({evaluation.analysis.skipped})")
        if evaluation.report is not None:
            lines.append(
                f"report of the tested checkpoint ({evaluation.seconds:.0f} s): {evaluation.report / 'report.html'}"
            )
    return "\n".join(lines)


def run_cli(args: list[str] | None = None, **cli_kwargs) -> FauCLI:
    """Run the CLI and return it (trainer, model, datamodule); `args` lets tests skip the subprocess."""
    os.environ.setdefault("WANDB_ERROR_REPORTING", "false")
    os.environ.setdefault("WANDB_QUIET", "true")  # our summary says where the run is and how to sync it
    silence_library_noise()
    check_config_files(sys.argv[1:] if args is None else args)
    settings = {
        "subclass_mode_model": True,
        "subclass_mode_data": True,
        "save_config_callback": LogConfigCallback,
        "save_config_kwargs": {"config_filename": CONFIG_FILENAME, "save_to_log_dir": False},
        # a bad setting raises, in every subcommand's parser too; main() says it in one line
        "parser_kwargs": {"exit_on_error": False, **{name: {"exit_on_error": False} for name in SUBCOMMANDS}},
        "args": args,
        **cli_kwargs,
    }
    if args is None:
        return FauCLI(FaceTask, FaceDataModule, **settings)
    # With explicit args, the calling tool's own command line is not ours to read (LightningCLI warns).
    own_argv, sys.argv = sys.argv, sys.argv[:1]
    try:
        return FauCLI(FaceTask, FaceDataModule, **settings)
    finally:
        sys.argv = own_argv


def build_config(args: list[str], logger: bool = False) -> FauCLI:
    """Configs and overrides resolved and instantiated (model, data module, trainer) without running a
    subcommand; no logger unless `logger`, so nothing is written.
    """
    return run_cli(
        [*args, *([] if logger else ["--trainer.logger=false"])],
        run=False,
        save_config_callback=None,
        seed_everything_default=False,  # resolving a config seeds nothing (and says nothing about seeds)
    )


def main(args: list[str] | None = None) -> None:
    """The `fau-train` console script; closes the W&B run (if any) so its files are complete on exit."""
    import wandb

    show_progress("fau-train")
    try:
        exit_on_input_error("fau-train", lambda: run_cli(args))
    finally:
        wandb.finish()


if __name__ == "__main__":
    main()
