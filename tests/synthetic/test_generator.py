import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from fau_lightning.facs import ACTION_UNITS, REGION_LANDMARKS
from fau_lightning.readers.ck_plus import read_emotion, read_facs
from fau_lightning.readers.records import read_landmarks
from fau_lightning.synthetic.dataset import MARKER, SyntheticConfig, generate
from fau_lightning.synthetic.face import FaceGeometry, Nuisance, Pose, render_frame
from tests.helpers.tiny import TINY_SYNTHETIC

STILL = Nuisance(light_angle=0.0, light_strength=0.0, blur_sigma=0.0, noise_sigma=0.0)
POSE = Pose(roll=0.0, scale=1.0, centre_x=160, centre_y=120)


def _render(expression: dict, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    g = FaceGeometry.sample(np.random.default_rng(seed))
    return render_frame(g, expression, POSE, STILL, (320, 300), np.random.default_rng(0))


@pytest.mark.parametrize("au", sorted(ACTION_UNITS))
def test_each_au_changes_its_own_region(au: int) -> None:
    neutral, lm = _render({})
    moved, _ = _render({au: (1.0, 1.0)})
    diff = np.abs(moved.astype(float) - neutral)
    assert diff.max() > 60, f"AU {au} barely changes the image"
    inside = np.zeros_like(diff, bool)
    for region in ACTION_UNITS[au].regions:
        pts = lm[list(REGION_LANDMARKS[region])]
        (x0, y0), (x1, y1) = pts.min(0), pts.max(0)
        pad = 0.25 * (lm[16, 0] - lm[0, 0])  # a quarter of the face width around the region
        inside[int(y0 - pad) : int(y1 + pad), int(x0 - pad) : int(x1 + pad)] = True
    assert diff[inside].sum() / diff.sum() > 0.85, f"AU {au} changes pixels outside {ACTION_UNITS[au].regions}"


@pytest.mark.parametrize("au", sorted(ACTION_UNITS))
def test_each_au_is_visible_at_the_papers_smallest_input(au: int) -> None:
    """At full intensity every planted AU changes at least 38 pixels of a 48x48 face crop (of 2,304) by
    more than 8 grey levels, averaged over 10 faces: an AU the network cannot see cannot be learned.
    """
    changed = []
    for seed in range(10):
        neutral, lm = _render({}, seed)
        moved, _ = _render({au: (1.0, 1.0)}, seed)
        (x0, y0), (x1, y1) = lm.min(0), lm.max(0)  # the neutral face's box for both, so the crop does not move
        half, cx, cy = 0.6 * max(x1 - x0, y1 - y0), (x0 + x1) / 2, (y0 + y1) / 2
        box = slice(int(cy - half), int(cy + half)), slice(int(cx - half), int(cx + half))
        small = [
            cv2.resize(image[box], (48, 48), interpolation=cv2.INTER_AREA).astype(float) for image in (neutral, moved)
        ]
        changed.append((np.abs(small[1] - small[0]) > 8).sum())
    assert np.mean(changed) >= 38, f"AU {au} changes only {np.mean(changed):.0f} pixels at 48x48"


def test_unilateral_au_changes_one_side() -> None:
    neutral, lm = _render({})
    right_only, _ = _render({12: (0.0, 1.0)})
    diff = np.abs(right_only.astype(float) - neutral)
    midline = int(lm[27:31, 0].mean())
    assert diff[:, midline + 2 :].sum() > 10 * diff[:, : midline - 2].sum()


def test_landmarks_follow_the_pose() -> None:
    g = FaceGeometry.sample(np.random.default_rng(2))
    _, lm = render_frame(g, {}, POSE, STILL, (320, 300), np.random.default_rng(0))
    turned = Pose(roll=10.0, scale=0.8, centre_x=150, centre_y=110)
    _, lm2 = render_frame(g, {}, turned, STILL, (320, 300), np.random.default_rng(0))
    eye_mid = (lm[36:48].mean(0), lm2[36:48].mean(0))
    eye_axis = lm2[45] - lm2[36]
    assert np.degrees(np.arctan2(eye_axis[1], eye_axis[0])) == pytest.approx(10.0, abs=0.5)
    assert np.linalg.norm(lm2[45] - lm2[36]) == pytest.approx(0.8 * np.linalg.norm(lm[45] - lm[36]), rel=1e-6)
    assert np.linalg.norm(eye_mid[1] - [150, 110]) < 3


def test_pupils_are_dark_where_the_landmarks_put_the_eyes() -> None:
    frame, lm = _render({})
    for eye in (slice(36, 42), slice(42, 48)):
        x, y = lm[eye].mean(0).round().astype(int)
        assert frame[y, x] < 60


def test_layout_files_and_labels(tiny_synthetic_root: Path) -> None:
    root = tiny_synthetic_root
    subjects = sorted(p.name for p in (root / "cohn-kanade-images").iterdir() if p.is_dir())
    assert len(subjects) == TINY_SYNTHETIC.num_subjects
    emotion_files = sorted((root / "Emotion").rglob("*_emotion.txt"))
    sequences = sorted(p for p in (root / "Emotion").glob("S*/*") if p.is_dir())
    assert 0 < len(emotion_files) < len(sequences)  # some sequences unlabelled: empty folders
    codes = {read_emotion(p) for p in emotion_files}
    assert codes <= set(range(1, 8)) and len(codes) >= 5
    for emotion_file in emotion_files[:10]:
        rel = emotion_file.parent.relative_to(root / "Emotion")
        peak = emotion_file.name.removesuffix("_emotion.txt")
        assert read_facs(root / "FACS" / rel / f"{peak}_facs.txt").keys() <= set(ACTION_UNITS)
        frames = sorted((root / "cohn-kanade-images" / rel).glob("*.png"))
        assert frames[-1].stem == peak  # label files are named after the peak (last) frame
        assert read_landmarks(root / "Landmarks" / rel / f"{frames[0].stem}_landmarks.txt").shape == (68, 2)


def test_deterministic_per_seed(tmp_path: Path, tiny_synthetic_root: Path) -> None:
    again = generate(tmp_path / "again", TINY_SYNTHETIC, workers=1)
    for rel in (
        "cohn-kanade-images/S005/001/S005_001_00000002.png",
        "Landmarks/S011/002/S011_002_00000003_landmarks.txt",
    ):
        if (tiny_synthetic_root / rel).exists():
            assert (again / rel).read_bytes() == (tiny_synthetic_root / rel).read_bytes()
    other = generate(tmp_path / "other", SyntheticConfig(**{**TINY_SYNTHETIC.__dict__, "seed": 4, "num_subjects": 1}))
    first = "cohn-kanade-images/S005/001/S005_001_00000001.png"
    assert (other / first).read_bytes() != (tiny_synthetic_root / first).read_bytes()


def test_first_subject_continues_the_same_population_with_new_people(tmp_path: Path, tiny_synthetic_root: Path) -> None:
    more = generate(
        tmp_path / "more", SyntheticConfig(**{**TINY_SYNTHETIC.__dict__, "first_subject": 10, "num_subjects": 3})
    )
    assert sorted(p.name for p in (more / "cohn-kanade-images").iterdir()) == ["S035", "S038", "S041"]
    # subject 10 is the same person whether generated with the first ten or after them
    assert (more / "cohn-kanade-images" / "S035").is_dir()
    for png in (tiny_synthetic_root / "cohn-kanade-images" / "S035").rglob("*.png"):
        assert (more / png.relative_to(tiny_synthetic_root)).read_bytes() == png.read_bytes()


def test_existing_set_is_reused_and_a_foreign_folder_refused(tmp_path: Path, tiny_synthetic_root: Path) -> None:
    before = (tiny_synthetic_root / MARKER).stat().st_mtime_ns
    generate(tiny_synthetic_root, TINY_SYNTHETIC)
    assert (tiny_synthetic_root / MARKER).stat().st_mtime_ns == before
    assert json.loads((tiny_synthetic_root / MARKER).read_text())["num_subjects"] == TINY_SYNTHETIC.num_subjects
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("my data")
    with pytest.raises(FileExistsError, match="mine exists but does not hold a synthetic set"):
        generate(foreign, TINY_SYNTHETIC)
    assert (foreign / "notes.txt").read_text() == "my data"


def test_a_set_made_with_other_settings_is_replaced(tmp_path: Path) -> None:
    small = SyntheticConfig(
        num_subjects=1, frame_width=96, min_frames=4, max_frames=4, min_sequences=1, max_sequences=1
    )
    root = generate(tmp_path / "set", small)
    (root / ".fau_cache").mkdir()
    generate(root, SyntheticConfig(**{**small.__dict__, "num_subjects": 2}))
    assert json.loads((root / MARKER).read_text())["num_subjects"] == 2
    assert not (root / ".fau_cache").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["set"]


def test_interrupted_generation_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fau_lightning.synthetic import dataset as synthetic

    calls = []

    def write_then_die(root, index, cfg):
        calls.append(index)
        if index == 1:
            raise KeyboardInterrupt
        real(root, index, cfg)

    real = synthetic._write_subject
    monkeypatch.setattr(synthetic, "_write_subject", write_then_die)
    with pytest.raises(KeyboardInterrupt):
        generate(tmp_path / "set", SyntheticConfig(num_subjects=3, frame_width=96, min_frames=4, max_frames=4))
    assert calls == [0, 1] and list(tmp_path.iterdir()) == []
