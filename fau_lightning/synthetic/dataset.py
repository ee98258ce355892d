"""The built-in dataset: procedural FACS faces written to disk in the exact CK+ layout.

Every subject has its own face, tones and background; each sequence ramps from neutral to an apex
made of action units, from an EMFACS prototype with natural variation (intensities, an AU dropped
or added). As in CK+, about 45 % of sequences carry FACS codes but no emotion label; their AUs are
drawn one by one, apart from any emotion, which is what lets an analysis tell an AU from the
emotions it usually comes with. Files follow CK+ to the letter (names, folders, float text formats, empty Emotion
folders for unlabelled sequences, some RGB frames, two frame sizes, stray files), so the real CK+
reader is what reads them. Deterministic per seed: subject i draws from SeedSequence([seed, i]), so
`first_subject` continues the same population with new people (held-out evidence that no fold ever trained on).
"""

import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from fau_lightning.facs import EMOTION_PROTOTYPES
from fau_lightning.files import temporary_path, write_image
from fau_lightning.progress import Progress, StageProgress
from fau_lightning.readers.face_crop import CropSettings
from fau_lightning.synthetic.face import (
    FaceGeometry,
    Nuisance,
    Pose,
    render_frame,
)
from fau_lightning.synthetic.landmarks import Expression

MARKER = "fau_synthetic.json"
GENERATOR_VERSION = 6

# Share of each emotion among CK+'s 327 labelled sequences (codes 1..7).
CK_EMOTION_COUNTS = {1: 45, 2: 18, 3: 59, 4: 25, 5: 69, 6: 28, 7: 83}
# Prototype AUs that are always present; the others are dropped now and then.
CORE_AUS = {1: (4, 23), 2: (12, 14), 3: (9,), 4: (1, 4, 20), 5: (12,), 6: (1, 15), 7: (1, 2, 26)}
# AUs that often come with an emotion, with their probability.
COMPANION_AUS = {1: {17: 0.4}, 3: {10: 0.4, 17: 0.3}, 4: {25: 0.5}, 5: {25: 0.5}, 6: {17: 0.4}, 7: {25: 0.7}}
STRAY_AUS = (6, 7, 10, 17, 25)
ALL_AUS = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 16, 17, 20, 23, 25, 26)


@dataclass(frozen=True)
class SyntheticConfig:
    """What the generated set looks like; every field is part of the cache key.

    Args:
        num_subjects: how many people.
        seed: the population: subject i is drawn from SeedSequence([seed, i]).
        first_subject: generate subjects first_subject .. first_subject + num_subjects - 1 (new
            people of the same population, e.g. held-out evidence for the FAU analysis).
        min_sequences: fewest sequences (recordings) per subject.
        max_sequences: most sequences per subject.
        min_frames: shortest sequence, neutral to apex.
        max_frames: longest sequence.
        unlabelled_share: share of sequences with FACS codes but no emotion label (CK+: 266 of 593).
        unlabelled_au_rate: chance of each AU in an unlabelled sequence (at least one is drawn).
        frame_width: width of the written frames in pixels (height from a 640x480 or 640x490 frame).
        rgb_share: share of subjects written as RGB frames, as some of CK+'s are.
    """

    num_subjects: int = 120
    seed: int = 0
    first_subject: int = 0
    min_sequences: int = 3
    max_sequences: int = 6
    min_frames: int = 6
    max_frames: int = 11
    unlabelled_share: float = 0.45
    unlabelled_au_rate: float = 0.25
    frame_width: int = 320
    rgb_share: float = 0.2


@dataclass(frozen=True)
class FurtherPeople:
    """People of the generator's population beyond a data set's own subjects (whom no split trains on),
    and how that data set reads faces: its crop, the frames it takes from each sequence and its folds.
    """

    people: SyntheticConfig
    crop: CropSettings
    last_frames: int
    fold: int
    num_folds: int
    cache_dir: str  # where their faces are kept once made


@dataclass(frozen=True)
class Sequence:
    emotion: int | None  # CK+ code 1..7, None = unlabelled
    apex: Expression


def _sample_apex(rng: np.random.Generator, emotion: int | None, unlabelled_au_rate: float) -> Expression:
    if emotion is None:
        chosen = {au for au in ALL_AUS if rng.random() < unlabelled_au_rate} or {int(rng.choice(ALL_AUS))}
    else:
        chosen = {au for au in EMOTION_PROTOTYPES[emotion] if au in CORE_AUS[emotion] or rng.random() > 0.15}
        chosen |= {au for au, p in COMPANION_AUS.get(emotion, {}).items() if rng.random() < p}
        if rng.random() < 0.1:
            chosen.add(int(rng.choice(STRAY_AUS)))
    strength = rng.uniform(0.8, 1.0)
    apex: Expression = {}
    for au in sorted(chosen):
        level = strength * rng.uniform(0.6, 1.0)
        apex[au] = (level, level)
    if emotion == 2:  # contempt: 12 and 14 on one side only
        one_side = rng.random() < 0.5
        apex = {au: (lvl, 0.1 * lvl) if one_side else (0.1 * lvl, lvl) for au, (lvl, _) in apex.items()}
    return apex


def _sample_sequences(rng: np.random.Generator, cfg: SyntheticConfig) -> list[Sequence]:
    codes = np.array(list(CK_EMOTION_COUNTS))
    weights = np.array(list(CK_EMOTION_COUNTS.values()), dtype=np.float64)
    count = int(rng.integers(cfg.min_sequences, cfg.max_sequences + 1))
    emotions = rng.choice(codes, size=min(count, len(codes)), replace=False, p=weights / weights.sum())
    sequences = []
    for code in emotions:
        emotion = None if rng.random() < cfg.unlabelled_share else int(code)
        sequences.append(Sequence(emotion, _sample_apex(rng, emotion, cfg.unlabelled_au_rate)))
    return sequences


def _ramp(t: int, length: int) -> float:
    """Onset to apex like CK+: neutral first frame, apex reached on the second-to-last frame."""
    x = min(1.0, t / max(1, length - 2))
    return x * x * (3 - 2 * x)


def _float_line(*values: float) -> str:
    return "".join(f"{v:16.7e}" for v in values) + "\n"


def _facs_intensity(level: float, rng: np.random.Generator) -> int:
    """FACS intensity A..E as 1..5; now and then 0, CK+'s 'present, intensity not coded'."""
    return 0 if rng.random() < 0.1 else int(np.clip(np.ceil(level * 5), 1, 5))


def _write_subject(root: Path, subject_index: int, cfg: SyntheticConfig) -> None:
    rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, subject_index]))
    subject = f"S{5 + 3 * subject_index:03d}"
    geometry = FaceGeometry.sample(rng)
    frame_height = int(round(cfg.frame_width * (490 if rng.random() < 0.5 else 480) / 640))
    frame_size = (cfg.frame_width, frame_height)
    is_rgb = rng.random() < cfg.rgb_share
    tint = rng.uniform(0.9, 1.1, size=3)
    face_scale = frame_height / 300 * rng.uniform(0.9, 1.1)
    for seq_index, sequence in enumerate(_sample_sequences(rng, cfg), start=1):
        seq = f"{seq_index:03d}"
        length = int(rng.integers(cfg.min_frames, cfg.max_frames + 1))
        roll, drift, yaw = rng.uniform(-12, 12), rng.uniform(-0.4, 0.4), rng.uniform(-9, 9)
        cx = frame_size[0] / 2 + rng.uniform(-0.06, 0.06) * frame_size[0]
        cy = frame_height * rng.uniform(0.38, 0.46)
        motion = rng.uniform(-0.6, 0.6, size=2)
        light_angle, light, gamma = rng.uniform(0, 2 * np.pi), rng.uniform(0, 0.9), rng.uniform(0.6, 1.6)
        blur, noise = rng.uniform(0.0, 1.0), rng.uniform(0.005, 0.025)
        dirs = {kind: root / kind / subject / seq for kind in ("cohn-kanade-images", "Landmarks", "FACS", "Emotion")}
        for d in dirs.values():
            d.mkdir(parents=True, exist_ok=True)
        for t in range(length):
            r = _ramp(t, length)
            expression = {au: (left * r, right * r) for au, (left, right) in sequence.apex.items()}
            pose = Pose(roll + drift * t, face_scale, cx + motion[0] * t, cy + motion[1] * t, yaw)
            nuisance = Nuisance(light_angle, light, blur, noise, gamma)
            frame, landmarks = render_frame(geometry, expression, pose, nuisance, frame_size, rng)
            if is_rgb:
                frame = np.clip(frame[..., None] * tint, 0, 255).astype(np.uint8)
            stem = f"{subject}_{seq}_{t + 1:08d}"
            written = dirs["cohn-kanade-images"] / f"{stem}.png"
            write_image(written, frame)
            (dirs["Landmarks"] / f"{stem}_landmarks.txt").write_text("".join(_float_line(x, y) for x, y in landmarks))
        peak = f"{subject}_{seq}_{length:08d}"
        facs = [_float_line(au, _facs_intensity(max(lvl), rng)) for au, lvl in sequence.apex.items()]
        (dirs["FACS"] / f"{peak}_facs.txt").write_text("".join(facs))
        if sequence.emotion is not None:
            (dirs["Emotion"] / f"{peak}_emotion.txt").write_text(_float_line(sequence.emotion))
    if subject_index % 17 == 3:  # stray files, as in real copies of CK+
        (root / "cohn-kanade-images" / subject / ".DS_Store").write_bytes(b"\0Bud1")
        (root / "Emotion" / subject / "Thumbs.db").write_bytes(b"\0")


def generate(
    root: str | os.PathLike,
    cfg: SyntheticConfig = SyntheticConfig(),
    workers: int = 1,
    progress: Progress | None = None,
) -> Path:
    """Write the set to `root` unless the same set is already there; returns `root`.

    `progress("drawing faces", done, total)` is told as each subject is written (default: said through
    the package's logger).

    The tree is written to a temporary sibling folder and renamed into place, so an interrupted
    run never leaves a half-written dataset behind. A synthetic set made with other settings (or by
    an older generator) is replaced, with its caches; a `root` holding anything else is an error.
    """
    root = Path(root)
    wanted = {"generator_version": GENERATOR_VERSION, **asdict(cfg)}
    marker = root / MARKER
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        return root
    if root.exists() and any(root.iterdir()) and not marker.exists():
        raise FileExistsError(
            f"{root} exists but does not hold a synthetic set ({marker} missing); "
            "delete it or point data.root elsewhere"
        )
    tmp, old = temporary_path(root), temporary_path(root.with_name(f"{root.name}-old"))
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    subjects = range(cfg.first_subject, cfg.first_subject + cfg.num_subjects)
    progress = progress or StageProgress()
    stage = f"drawing the faces of {cfg.num_subjects} people"
    try:
        if workers > 1:
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(workers) as pool:
                written = pool.map(_write_subject, [tmp] * cfg.num_subjects, subjects, [cfg] * cfg.num_subjects)
                for done, _ in enumerate(written, start=1):
                    progress(stage, done, cfg.num_subjects)
        else:
            for done, i in enumerate(subjects, start=1):
                _write_subject(tmp, i, cfg)
                progress(stage, done, cfg.num_subjects)
        (tmp / MARKER).write_text(json.dumps(wanted, indent=2))
        if root.exists():
            root.rename(old)
        tmp.rename(root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return root
