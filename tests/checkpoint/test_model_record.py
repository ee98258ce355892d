"""What a checkpoint records for prediction, and what an older checkpoint is told it lacks."""

from pathlib import Path

import pytest
import torch

from fau_lightning.checkpoint import read_checkpoint
from fau_lightning.checkpoint.record import MODEL_RECORD_KEY, read_record
from fau_lightning.errors import CheckpointError


def test_a_trained_checkpoint_records_what_prediction_needs(tiny_checkpoint: Path) -> None:
    record = read_record(read_checkpoint(tiny_checkpoint), tiny_checkpoint)
    assert record.class_names[:3] == ["neutral", "anger", "contempt"] and len(record.class_names) == 8
    assert record.input_size == 32 and not record.multi_label
    assert record.face_crop["method"] == "landmarks" and record.face_crop["landmark_margin"] == 0.15
    assert "uint8 / 255" in record.normalisation
    assert record.training_data["dataset"] == "SyntheticCKPlusDataModule" and record.synthetic
    assert record.training_data["test_split"] == "held-out subjects"
    assert record.seed == 0 and record.package_version
    # test_after_fit wrote the test figures of this very checkpoint into it
    assert record.test["split"] == "held-out subjects" and 0 <= record.test["metrics"]["test/acc"] <= 1


def test_an_older_checkpoint_is_told_what_it_lacks_and_which_flag_gives_it(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    checkpoint = read_checkpoint(tiny_checkpoint)
    del checkpoint[MODEL_RECORD_KEY]
    with pytest.raises(CheckpointError, match=r"old.ckpt: .*lacks the input size; give --image_size"):
        read_record(checkpoint, tmp_path / "old.ckpt")
    record = read_record(checkpoint, tmp_path / "old.ckpt", image_size=32)
    assert record.class_names == checkpoint["hyper_parameters"]["class_names"] and record.input_size == 32
    assert record.training_data == {}  # unknown, and said so where it is used
    with pytest.raises(CheckpointError, match="gives 2 names for the network's 8 outputs"):
        read_record(checkpoint, tmp_path / "old.ckpt", image_size=32, class_names=["a", "b"])


def test_the_record_survives_a_safe_reload(tiny_checkpoint: Path) -> None:
    """Only plain values: weights_only=True loading keeps working."""
    assert torch.load(tiny_checkpoint, weights_only=True)[MODEL_RECORD_KEY]["input_size"] == 32
