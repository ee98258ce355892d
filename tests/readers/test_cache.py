import os
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from fau_lightning.errors import DatasetFormatError
from fau_lightning.readers import cache
from fau_lightning.readers.cache import load_or_build
from fau_lightning.readers.ck_plus import read_layout
from fau_lightning.readers.face_crop import CropSettings
from tests.helpers.ck_plus_files import write_sequence

CROP = CropSettings(method="landmarks", size=32)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "ck"
    write_sequence(root, "S005", "001", emotion=5, aus={6: 3, 12: 4})
    write_sequence(root, "S005", "002", emotion=None)
    write_sequence(root, "S011", "001", emotion=2, aus={12: 0, 14: 2}, size=(80, 60), rgb=True)
    write_sequence(root, "S011", "002", emotion=7, aus={1: 2, 2: 2, 5: 1, 26: 3}, landmarks=False)
    return root


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_arrays_hold_images_and_every_label(tree: Path, tmp_path: Path) -> None:
    faces, path = load_or_build(read_layout(tree), CROP, tmp_path / "cache", extra={})
    assert faces.images.shape == (12, 32, 32) and faces.images.dtype == np.uint8
    assert faces.label.tolist() == [0, 5, 5, 5, 0, 2, 2, 2, 0, 7, 7, 7]
    assert faces.subject.tolist() == ["S005"] * 4 + ["S011"] * 8
    assert faces.au_codes.tolist() == [1, 2, 5, 6, 12, 14, 26]
    col = {au: k for k, au in enumerate(faces.au_codes)}
    assert faces.au_present[1, col[12]] and faces.au_intensity[1, col[12]] == 4
    assert faces.au_present[5, col[12]] and faces.au_intensity[5, col[12]] == 0  # present, not coded
    assert not faces.au_present[[0, 4, 8]].any()  # neutral frames carry no AU
    assert np.isnan(faces.landmarks[8:]).all() and np.isfinite(faces.landmarks[:8]).all()
    assert faces.face_found[:8].all() and not faces.face_found[8:].any()  # no landmarks, no landmark crop
    assert faces.all_subjects.tolist() == ["S005", "S011"]
    report = path.with_suffix(".report.txt").read_text()
    assert report.count("no face found") == 4 and "S011_002" in report


def test_rgb_and_grayscale_frames_of_different_sizes_are_read_as_grayscale(tree: Path, tmp_path: Path) -> None:
    faces, _ = load_or_build(read_layout(tree), CropSettings(method="none", size=16), tmp_path / "c", extra={})
    source = cv2.imread(str(tree / faces.source[5]), cv2.IMREAD_GRAYSCALE)
    assert source.shape == (60, 80)
    assert np.abs(faces.images[5].astype(int) - cv2.resize(source, (16, 16), interpolation=cv2.INTER_AREA)).max() <= 1


def test_second_call_loads_the_cache(tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, path = load_or_build(read_layout(tree), CROP, tmp_path / "cache", extra={})
    monkeypatch.setattr(cache, "_build", lambda *a: pytest.fail("rebuilt a valid cache"))
    second, again = load_or_build(read_layout(tree), CROP, tmp_path / "cache", extra={})
    assert again == path and np.array_equal(first.images, second.images)


def test_changed_setting_or_file_makes_a_new_cache(tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _, a = load_or_build(read_layout(tree), CROP, cache, extra={})
    _, b = load_or_build(read_layout(tree), CropSettings(method="landmarks", size=48), cache, extra={})
    _, c = load_or_build(read_layout(tree), CROP, cache, extra={"last_frames": 2})
    label = tree / "Emotion" / "S005" / "001" / "S005_001_00000005_emotion.txt"
    label.write_text("   6.0000000e+00\n")
    os.utime(label, ns=(1, 1))
    faces, d = load_or_build(read_layout(tree), CROP, cache, extra={})
    assert len({a, b, c, d}) == 4
    assert faces.label[1] == 6


def test_interrupted_build_leaves_no_cache(tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"

    def savez_then_die(f, **arrays):
        f.write(b"PK\x03\x04 half an archive")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", savez_then_die)
    with pytest.raises(KeyboardInterrupt):
        load_or_build(read_layout(tree), CROP, cache, extra={})
    assert not any(name.endswith(".npz") or ".tmp-" in name for name in _files(cache))
    monkeypatch.undo()
    faces, path = load_or_build(read_layout(tree), CROP, cache, extra={})
    assert len(faces) == 12 and path.exists()


def test_damaged_cache_is_rebuilt_not_trusted(tree: Path, tmp_path: Path) -> None:
    _, path = load_or_build(read_layout(tree), CROP, tmp_path / "cache", extra={})
    path.write_bytes(path.read_bytes()[:100])
    with pytest.warns(UserWarning, match=r"unreadable \(BadZipFile\); rebuilding it"):
        faces, again = load_or_build(read_layout(tree), CROP, tmp_path / "cache", extra={})
    assert again == path and len(faces) == 12


def test_a_cache_entry_whose_contents_changed_is_rebuilt(tree: Path, tmp_path: Path) -> None:
    """A valid .npz of the right fields and shapes, but not what was written (every image zeroed)."""
    faces, path = load_or_build(read_layout(tree), CROP, tmp_path / "cache", extra={})
    with np.load(path) as data:
        arrays = {name: data[name] for name in data.files}
    arrays["images"] = np.zeros_like(arrays["images"])
    np.savez(path, **arrays)
    with pytest.warns(UserWarning, match=r"does not match its checksum \(changed since .*\); rebuilding it"):
        again, _ = load_or_build(read_layout(tree), CROP, tmp_path / "cache", extra={})
    assert np.array_equal(again.images, faces.images) and again.images.any()


def test_unreadable_image_is_skipped_listed_and_warned(tree: Path, tmp_path: Path) -> None:
    bad = tree / "cohn-kanade-images" / "S005" / "001" / "S005_001_00000004.png"
    bad.write_bytes(b"not a png")
    with pytest.warns(UserWarning, match="skipped"):
        faces, path = load_or_build(read_layout(tree), CROP, tmp_path / "cache", extra={})
    assert len(faces) == 11 and "S005/001/S005_001_00000004.png" not in faces.source.tolist()
    assert f"{bad}: unreadable image, skipped" in path.with_suffix(".report.txt").read_text()


def test_malformed_landmarks_name_the_file(tree: Path, tmp_path: Path) -> None:
    lm = tree / "Landmarks" / "S005" / "001" / "S005_001_00000005_landmarks.txt"
    lm.write_text("1.0 2.0\n" * 67)
    with pytest.raises(DatasetFormatError, match="S005_001_00000005_landmarks.txt: expected 68"):
        load_or_build(read_layout(tree), CROP, tmp_path / "cache", extra={})
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").glob("*.npz"))


def test_a_removed_subject_folder_makes_a_new_cache(tree: Path, tmp_path: Path) -> None:
    """Subject folders decide the folds even when none of their sequences is coded."""
    (tree / "cohn-kanade-images" / "S099" / "001").mkdir(parents=True)  # a subject with nothing coded
    with_it, a = load_or_build(read_layout(tree), CROP, tmp_path / "cache", extra={})
    (tree / "cohn-kanade-images" / "S099" / "001").rmdir()
    (tree / "cohn-kanade-images" / "S099").rmdir()
    without, b = load_or_build(read_layout(tree), CROP, tmp_path / "cache", extra={})
    assert a != b and "S099" in with_it.all_subjects and "S099" not in without.all_subjects


def test_a_temporary_file_left_by_a_killed_write_is_removed(tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    dead = _finished_pid()
    stale = cache / f".faces-0123456789abcdef.npz.tmp-{dead}"
    stale.write_bytes(b"PK\x03\x04 two megabytes, cut short")
    running = cache / f".faces-0123456789abcdef.npz.tmp-{os.getpid()}"  # a write still under way
    running.write_bytes(b"PK")
    load_or_build(read_layout(tree), CROP, cache, extra={})
    assert not stale.exists() and running.exists()


def _finished_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid
