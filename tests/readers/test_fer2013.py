import re
from pathlib import Path

import numpy as np
import pytest

from fau_lightning.datamodules.fer2013 import FER2013DataModule
from fau_lightning.readers.fer2013 import FER2013FormatError, read_fer2013
from tests.helpers.fer2013_files import row, write_csv


def test_reads_rows_and_usages(tmp_path: Path) -> None:
    rows = [row(i % 7, u, seed=i) for i, u in enumerate(["Training"] * 6 + ["PublicTest"] * 2 + ["PrivateTest"] * 3)]
    fer = read_fer2013(write_csv(tmp_path / "fer2013.csv", rows))
    assert fer.images.shape == (11, 48, 48) and fer.images.dtype == np.uint8
    first = np.array(rows[0].split(",")[1].split(), dtype=np.uint8).reshape(48, 48)
    assert np.array_equal(fer.images[0], first)  # row-major 48 x 48
    assert fer.label.tolist() == [i % 7 for i in range(11)]
    dm = FER2013DataModule(str(tmp_path / "fer2013.csv"))
    dm.setup()
    assert [len(dm.datasets[s]) for s in ("train", "val", "test")] == [6, 2, 3]
    assert dm.num_classes == 7 and dm.class_names[0] == "angry"


@pytest.mark.parametrize(
    "bad,reason",
    [
        (row(3, pixels="1 2 3"), "3 pixels, expected 2304"),
        (row(3, pixels=" ".join(["7"] * 2303 + ["x"])), "whole numbers"),
        (row(9), "unknown emotion label '9'"),
        (row("happy"), "unknown emotion label 'happy'"),
        (row(3, usage="Validation"), "unknown usage 'Validation'"),
        (row(3, pixels=" ".join(["300"] * 2304)), "above 255"),
        ("3,1 2 3\n", "2 fields"),
    ],
)
def test_malformed_row_is_skipped_with_its_line_number(tmp_path: Path, bad: str, reason: str) -> None:
    path = write_csv(tmp_path / "fer2013.csv", [row(0), row(1), bad, row(2)])
    with pytest.warns(UserWarning, match=f"skipped 1 malformed row\\(s\\): line 4: .*{re.escape(reason)}"):
        fer = read_fer2013(path)
    assert fer.label.tolist() == [0, 1, 2]
    assert fer.partition[:, 0].tolist() == ["Training"] * 3


def test_wrong_header_and_empty_file_fail_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(FER2013FormatError, match="bad.csv: header should be"):
        read_fer2013(write_csv(tmp_path / "bad.csv", [row(0)], header="label,image,split\n"))
    with pytest.raises(FER2013FormatError, match="empty.csv: no valid row"):
        read_fer2013(write_csv(tmp_path / "empty.csv", [row(11)]))
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(FER2013FormatError, match="binary.csv"):
        read_fer2013(binary)
    with pytest.raises(FileNotFoundError, match="missing.csv does not exist"):
        read_fer2013(tmp_path / "missing.csv")


def test_usage_choice_is_checked() -> None:
    with pytest.raises(ValueError, match="val_usage, test_usage: must be one of"):
        FER2013DataModule("x.csv", test_usage="Test")
