"""The CLI end to end on a tiny config: fit -> test, the W&B run read back, checkpoint reload."""

import os
from pathlib import Path

import cv2
import pytest
import torch
import wandb

from fau_lightning.cli.train import run_cli
from fau_lightning.tasks import ExpressionClassifier
from tests.helpers.tiny import REPO, csv_logger_args, tiny_args
from tests.helpers.wandb_run_reader import read_offline_run


@pytest.fixture(scope="module")
def fitted(tiny_synthetic_root: Path, tmp_path_factory: pytest.TempPathFactory):
    save_dir = tmp_path_factory.mktemp("runs")
    cli = run_cli(["fit", *tiny_args(tiny_synthetic_root, save_dir)])
    run_dir = Path(cli.trainer.logger.experiment.dir).parent
    wandb.finish()
    return cli, save_dir, run_dir


def test_fit_then_test_prints_the_result(fitted, capsys: pytest.CaptureFixture) -> None:
    cli, _, run_dir = fitted
    assert cli.trainer.current_epoch == 2
    assert "test/acc" in cli.trainer.callback_metrics  # test_after_fit ran on the best checkpoint
    assert 0.0 <= float(cli.trainer.callback_metrics["test/acc"]) <= 1.0


def test_wandb_run_holds_epoch_metrics_confusion_image_and_config(fitted) -> None:
    cli, _, run_dir = fitted
    run = read_offline_run(run_dir)
    assert len(run.metric("val/acc")) == 2 and len(run.metric("train/acc")) == 2  # one per epoch
    assert len(run.metric("val/acc_macro")) == 2 and run.metric("val/acc_class/happy")
    assert len(run.metric("test/acc")) == 1
    assert run.metric("test/acc")[0] == pytest.approx(float(cli.trainer.callback_metrics["test/acc"]))
    images = run.metric("val/confusion_matrix/filenames")
    assert len(images) == 2  # every validation epoch, none from the sanity check
    png = cv2.imread(str(run_dir / "files" / images[-1][0]))
    assert png is not None and png.shape[0] > 200
    assert run.metric("test/confusion_matrix/filenames")
    config = run.config["cli"]
    assert config["data"]["class_path"] == "fau_lightning.datamodules.SyntheticCKPlusDataModule"
    assert config["data"]["init_args"]["image_size"] == 32
    assert config["model"]["class_path"] == "fau_lightning.tasks.ExpressionClassifier"
    assert config["model"]["init_args"]["widths"] == [8, 16, 32] and config["model"]["init_args"]["lr"] == 0.01
    assert config["trainer"]["logger"]["init_args"]["offline"] is True
    assert run.config["class_names"][2] == "contempt"
    saved = (run_dir / "files" / "fau_config.yaml").read_text()  # our copy, uploaded with the run
    assert "SyntheticCKPlusDataModule" in saved and "image_size: 32" in saved


def test_checkpoint_reloads_on_its_own(fitted) -> None:
    cli, _, _ = fitted
    best = cli.trainer.checkpoint_callback.best_model_path
    reloaded = ExpressionClassifier.load_from_checkpoint(best)
    assert tuple(reloaded.hparams.widths) == (8, 16, 32) and reloaded.class_names == cli.datamodule.class_names
    x = torch.rand(4, 1, 32, 32)
    state = torch.load(best, weights_only=False)["state_dict"]
    cli.model.load_state_dict(state)
    cli.model.eval()
    reloaded.eval()
    assert torch.allclose(reloaded(x), cli.model(x))


def test_test_subcommand_on_a_saved_checkpoint(fitted, tiny_synthetic_root: Path, tmp_path: Path) -> None:
    cli, _, _ = fitted
    best = cli.trainer.checkpoint_callback.best_model_path
    extra = csv_logger_args(tmp_path)
    tested = run_cli(["test", *tiny_args(tiny_synthetic_root, tmp_path, *extra), f"--ckpt_path={best}"])
    assert float(tested.trainer.callback_metrics["test/acc"]) == pytest.approx(
        float(cli.trainer.callback_metrics["test/acc"])
    )
    assert list(Path(tested.trainer.logger.log_dir).glob("images/test_confusion_matrix_*.png"))
    assert (Path(tested.trainer.logger.log_dir) / "fau_config.yaml").exists()


def test_predict_returns_class_probabilities(fitted, tiny_synthetic_root: Path, tmp_path: Path) -> None:
    cli, _, _ = fitted
    best = cli.trainer.checkpoint_callback.best_model_path
    extra = csv_logger_args(tmp_path)
    predicted = run_cli(["predict", *tiny_args(tiny_synthetic_root, tmp_path, *extra), f"--ckpt_path={best}"])
    probs = torch.cat(predicted.trainer.predict_loop.predictions)
    assert probs.shape[1] == 8 and torch.allclose(probs.sum(1), torch.ones(len(probs)))


def test_baseline_command_uses_the_same_config(
    tiny_synthetic_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from fau_lightning.cli.baseline import main as baseline_main

    baseline_main(tiny_args(tiny_synthetic_root, tmp_path))
    out = capsys.readouterr().out
    assert "L2" in out and "chosen on validation" in out
    accuracy = float(out.strip().splitlines()[-1].rsplit(" ", 1)[1])
    assert 0.0 <= accuracy <= 1.0
    assert not (tmp_path / "wandb").exists()  # the baseline makes no W&B run


def test_python_dash_m_runs_the_cli() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "fau_lightning", "fit", "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and "--test_after_fit" in done.stdout


@pytest.mark.parametrize("variant", ["cnn", "cnn_a", "cnn_d", "cnn_ad"])
def test_each_variant_trains_on_the_built_in_dataset(variant: str, tiny_synthetic_root: Path, tmp_path: Path) -> None:
    variant_config = ["--config", str(REPO / "configs" / "variants" / f"{variant}.yaml")]
    args = tiny_args(
        tiny_synthetic_root, tmp_path, *variant_config, *csv_logger_args(tmp_path), "--trainer.max_epochs=1"
    )
    cli = run_cli(["fit", *args])
    assert cli.trainer.current_epoch == 1 and "test/acc" in cli.trainer.callback_metrics
    assert cli.datamodule.augment is variant.endswith(("_a", "_ad"))


def test_the_main_job_log_is_quiet_and_shows_accuracy_while_training(tiny_synthetic_root: Path, tmp_path: Path) -> None:
    """As a user sees it in a terminal: no library noise, no unsafe-load notices, accuracy in the bar."""
    import subprocess
    import sys

    args = tiny_args(tiny_synthetic_root, tmp_path, "--trainer.enable_progress_bar=true", "--trainer.callbacks=[]")
    done = subprocess.run(
        [sys.executable, "-m", "fau_lightning", "fit", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if not k.startswith("WANDB_SERVICE")},
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-2000:]
    for noise in ("weights_only", "Traceback", "💡 Tip", "LeafSpec", "anonymous setting", "git root"):
        assert noise not in log, noise
    assert "val/acc=" in log and "train/loss_step=" in log and "test accuracy (held-out subjects)" in log
