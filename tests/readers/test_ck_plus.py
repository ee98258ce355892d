from pathlib import Path

import numpy as np
import pytest

from fau_lightning.readers.ck_plus import UNLABELLED, CKPlusFormatError, read_layout
from tests.helpers.ck_plus_files import float_line, write_sequence


def test_first_frame_is_neutral_and_last_three_carry_the_emotion_and_aus(tmp_path: Path) -> None:
    frames = write_sequence(tmp_path, "S005", "001", frames=6, emotion=3, aus={9: 4, 15: 0, 17: 2})
    layout = read_layout(tmp_path)
    assert [im.path for im in layout.images] == [frames[0]] + frames[-3:]
    assert [im.label for im in layout.images] == [0, 3, 3, 3]
    assert layout.images[0].aus == {}
    assert layout.images[1].aus == {9: 4, 15: 0, 17: 2}  # intensity 0 = present, not coded
    assert all(im.subject == "S005" and im.sequence == "001" for im in layout.images)
    assert layout.images[1].landmarks_path.name == "S005_001_00000004_landmarks.txt"


def test_last_frames_setting(tmp_path: Path) -> None:
    write_sequence(tmp_path, "S005", "001", frames=6, emotion=5)
    assert len(read_layout(tmp_path, last_frames=1).images) == 2
    assert len(read_layout(tmp_path, last_frames=5).images) == 6
    with pytest.raises(CKPlusFormatError, match="001: 6 frame"):
        read_layout(tmp_path, last_frames=6)


def test_empty_emotion_folder_means_unlabelled(tmp_path: Path) -> None:
    write_sequence(tmp_path, "S005", "001", emotion=None, aus={12: 3})
    write_sequence(tmp_path, "S005", "002", emotion=5)
    write_sequence(tmp_path, "S005", "003", emotion=None, aus=None)
    layout = read_layout(tmp_path)
    assert (tmp_path / "Emotion" / "S005" / "001").is_dir()
    # A FACS-coded sequence without emotion is read for analysis; one with neither is skipped.
    assert {im.sequence for im in layout.images} == {"001", "002"}
    unlabelled = [im for im in layout.images if im.sequence == "001"]
    assert [im.label for im in unlabelled] == [UNLABELLED] * 4
    assert [im.aus for im in unlabelled] == [{}, {12: 3}, {12: 3}, {12: 3}]


def test_a_set_of_only_unlabelled_sequences_is_an_error(tmp_path: Path) -> None:
    write_sequence(tmp_path, "S005", "001", emotion=None, aus={12: 3})
    with pytest.raises(CKPlusFormatError, match="no labelled sequence"):
        read_layout(tmp_path)


def test_renamed_label_folders_are_accepted(tmp_path: Path) -> None:
    write_sequence(
        tmp_path, "S010", "001", emotion=7, aus={1: 2, 2: 2}, emotion_dir="Emotion_labels", facs_dir="FACS_labels"
    )
    layout = read_layout(tmp_path)
    assert [im.label for im in layout.images] == [0, 7, 7, 7]
    assert layout.images[-1].aus == {1: 2, 2: 2}


def test_stray_files_are_ignored(tmp_path: Path) -> None:
    write_sequence(tmp_path, "S005", "001", emotion=1)
    for folder in (
        "cohn-kanade-images",
        "cohn-kanade-images/S005",
        "cohn-kanade-images/S005/001",
        "Emotion/S005/001",
        "FACS/S005",
    ):
        (tmp_path / folder / ".DS_Store").write_bytes(b"\0Bud1")
        (tmp_path / folder / "Thumbs.db").write_bytes(b"\0")
    layout = read_layout(tmp_path)
    assert len(layout.images) == 4 and layout.subjects == ["S005"]


@pytest.mark.parametrize(
    "text,code", [("   3.0000000e+00\n", 3), ("3\n", 3), ("7.0", 7), ("\n  5.0000000e+00  \n\n", 5)]
)
def test_emotion_float_formats(tmp_path: Path, text: str, code: int) -> None:
    write_sequence(tmp_path, "S005", "001", emotion=None, emotion_text=text)
    assert read_layout(tmp_path).images[-1].label == code


def test_subjects_include_those_without_labels_and_are_sorted(tmp_path: Path) -> None:
    write_sequence(tmp_path, "S022", "001", emotion=5)
    write_sequence(tmp_path, "S005", "001", emotion=None)
    write_sequence(tmp_path, "S010", "003", emotion=6)
    assert read_layout(tmp_path).subjects == ["S005", "S010", "S022"]


def test_missing_root(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere"):
        read_layout(tmp_path / "nowhere")


def test_folder_that_is_not_ck_plus(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    with pytest.raises(CKPlusFormatError, match=f"{tmp_path} is not a CK\\+ folder"):
        read_layout(tmp_path)


def test_no_labelled_sequence(tmp_path: Path) -> None:
    write_sequence(tmp_path, "S005", "001", emotion=None)
    with pytest.raises(CKPlusFormatError, match="no labelled sequence"):
        read_layout(tmp_path)


@pytest.mark.parametrize(
    "text,message",
    [
        ("happy\n", "expected numbers"),
        ("9.0\n", "1..7"),
        ("2.5\n", "whole number"),
        ("3.0 1.0\n", "1 number"),
        ("", "exactly one"),
    ],
)
def test_malformed_emotion_file_names_the_file(tmp_path: Path, text: str, message: str) -> None:
    write_sequence(tmp_path, "S005", "001", emotion=None, emotion_text=text)
    with pytest.raises(CKPlusFormatError, match=message) as err:
        read_layout(tmp_path)
    assert "S005_001_00000005_emotion.txt" in str(err.value)


@pytest.mark.parametrize(
    "line,message", [(float_line(12.0), "2 number"), (float_line(12.0, 7.0), "bad AU line"), ("12 x\n", "numbers")]
)
def test_malformed_facs_file_names_the_file(tmp_path: Path, line: str, message: str) -> None:
    write_sequence(tmp_path, "S005", "001", emotion=5)
    (tmp_path / "FACS" / "S005" / "001" / "S005_001_00000005_facs.txt").write_text(line)
    with pytest.raises(CKPlusFormatError, match=message) as err:
        read_layout(tmp_path)
    assert "S005_001_00000005_facs.txt" in str(err.value)


def test_two_emotion_files_in_one_sequence_is_an_error(tmp_path: Path) -> None:
    write_sequence(tmp_path, "S005", "001", emotion=5)
    (tmp_path / "Emotion" / "S005" / "001" / "S005_001_00000004_emotion.txt").write_text(float_line(5))
    with pytest.raises(CKPlusFormatError, match="expected one"):
        read_layout(tmp_path)


def test_missing_landmarks_are_allowed(tmp_path: Path) -> None:
    write_sequence(tmp_path, "S005", "001", emotion=5, landmarks=False)
    assert all(im.landmarks_path is None for im in read_layout(tmp_path).images)


def test_reads_the_synthetic_set(tiny_synthetic_root: Path) -> None:
    layout = read_layout(tiny_synthetic_root)
    emotions = np.array([im.label for im in layout.images])
    assert len(layout.subjects) == 12
    assert (emotions == 0).sum() * 3 == (emotions > 0).sum()
    assert all(im.landmarks_path is not None for im in layout.images)
    assert all(im.aus for im in layout.images if im.label > 0)
