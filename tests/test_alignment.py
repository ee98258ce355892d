import numpy as np
import pytest
import torch

from fau_lightning.analysis.activations import spatial_maxima
from fau_lightning.analysis.alignment import (
    align,
    auroc_matrix,
    co_occurrence,
    nearest_region,
    permutation_baseline,
    region_boxes,
    spatial_agreement,
    summary_numbers,
    top_k_images,
    top_k_profile,
)
from fau_lightning.models import ZeroBiasCNN


def brute_force_auroc(score: np.ndarray, label: np.ndarray) -> float:
    pos, neg = score[label], score[~label]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return wins / (len(pos) * len(neg))


def test_auroc_known_answers() -> None:
    labels = np.array([[1, 0], [1, 0], [0, 1], [0, 1], [0, 0]], bool)
    scores = np.array([[5, 0, 1], [4, 0, 2], [3, 0, 3], [2, 0, 4], [1, 0, 5]], float)  # filter 0 up, 1 flat, 2 down
    auc = auroc_matrix(scores, labels)
    assert auc.shape == (3, 2)
    assert auc[0, 0] == 1.0 and auc[2, 0] == 0.0 and auc[1, 0] == 0.5 and auc[1, 1] == 0.5
    assert auc[0, 1] == pytest.approx(brute_force_auroc(scores[:, 0], labels[:, 1]))
    assert np.isnan(auroc_matrix(scores, np.ones((5, 1), bool))).all()


def test_auroc_matches_brute_force_with_ties() -> None:
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 5, size=(60, 4)).astype(float)  # many ties
    labels = rng.random((60, 3)) < 0.3
    auc = auroc_matrix(scores, labels)
    for f in range(4):
        for u in range(3):
            assert auc[f, u] == pytest.approx(brute_force_auroc(scores[:, f], labels[:, u]))


def test_top_k_and_lift() -> None:
    scores = np.array([[0.1, 9], [0.9, 8], [0.5, 7], [0.7, 1]])
    assert top_k_images(scores, 2).tolist() == [[1, 3], [0, 1]]
    labels = np.array([[1], [1], [0], [0]], bool)
    profile = top_k_profile(scores, labels, k=2)
    assert profile.base_rate.tolist() == [0.5]
    assert profile.frequency[:, 0].tolist() == [0.5, 1.0] and profile.lift[:, 0].tolist() == [1.0, 2.0]


def test_permutation_baseline_sits_near_half_and_shows_the_max_inflation() -> None:
    rng = np.random.default_rng(1)
    n, f = 400, 64
    labels = rng.random((n, 2)) < 0.3
    scores = rng.normal(size=(n, f))
    scores[:, 7] += 1.5 * labels[:, 0]  # one filter planted for AU 0
    baseline = permutation_baseline(scores, labels, shuffles=30)
    assert np.abs(baseline.filter_mean.mean(axis=0) - 0.5).max() < 0.01  # chance level, filter by filter
    assert (baseline.threshold() > 0.55).all()  # but the best of 64 filters beats 0.5 by chance
    real = auroc_matrix(scores, labels)
    assert np.nanargmax(real[:, 0]) == 7 and real[7, 0] > baseline.threshold()[0]  # planted: above chance
    assert np.nanmax(real[:, 1]) < np.quantile(baseline.best[:, 1], 0.99)  # nothing planted: within chance


def test_spatial_maxima_keep_the_max_and_its_place_batch_by_batch() -> None:
    torch.manual_seed(0)
    model = ZeroBiasCNN(widths=(4, 6, 8))
    images = torch.rand(10, 1, 32, 32)
    maxima = spatial_maxima(model, "features.relu3", [images[:4], (images[4:], torch.zeros(6))])
    maps = model.features[: list(dict(model.features.named_children())).index("relu3") + 1](images)
    assert maxima.values.shape == (10, 8) and maxima.map_size == (8, 8)
    assert np.allclose(maxima.values, maps.amax(dim=(2, 3)).detach().numpy(), atol=1e-6)
    n, f = 3, 5
    assert maps[n, f, maxima.rows[n, f], maxima.cols[n, f]].item() == pytest.approx(float(maxima.values[n, f]))
    assert model.training  # mode restored


def test_region_boxes_and_spatial_agreement() -> None:
    landmarks = np.zeros((2, 68, 2))
    landmarks[:, :17, 0] = np.linspace(0, 100, 17)  # jaw spans 100 px
    landmarks[0, 48:68] = [40, 70]  # a point-like mouth
    landmarks[1] = np.nan
    boxes = region_boxes(landmarks, tuple(range(48, 68)), margin=0.1)
    assert boxes[0].tolist() == [30, 60, 50, 80] and np.isnan(boxes[1]).all()
    centres = np.array([[45.0, 75.0], [0.0, 0.0]])
    assert spatial_agreement(centres, [boxes]) == 1.0  # the image without landmarks is left out
    assert spatial_agreement(np.array([[0.0, 0.0], [1.0, 1.0]]), [boxes]) == 0.0
    assert np.isnan(spatial_agreement(centres[1:], [boxes[1:]]))


def test_align_finds_the_planted_filter_and_its_place() -> None:
    rng = np.random.default_rng(2)
    n, f = 300, 32
    labels = np.stack([rng.random(n) < 0.3, rng.random(n) < 0.3, rng.random(n) < 0.01], axis=1)
    scores = rng.normal(size=(n, f))
    scores[:, 5] += 3 * labels[:, 0]
    centres = rng.uniform(0, 96, size=(n, f, 2))
    centres[:, 5] = [70, 20]  # filter 5 fires at the top right, where AU 4's box is
    boxes = {4: [np.tile([[60, 10, 90, 40]], (n, 1)).astype(float)], 12: [np.tile([[0, 60, 30, 90]], (n, 1)).astype(float)]}
    results = align(scores, labels, au_codes=[4, 12, 26], centres=centres, au_boxes=boxes, k=20, min_support=10)
    assert [r.au for r in results] == [4, 12]  # AU 26 has too few images
    au4, au12 = results
    assert au4.best_filter == 5 and au4.aligned and au4.auroc > 0.95 and au4.lift > 2.5 and au4.spatial == 1.0
    assert not au12.aligned and au12.spatial < 0.5
    numbers = summary_numbers(results)
    assert numbers["fau/aligned_aus"] == 1 and numbers["fau/supported_aus"] == 2
    assert au4.recovered and not au12.recovered and numbers["fau/recovered_aus"] == 1


def test_co_occurrence_shares() -> None:
    labels = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 1], [0, 0, 1]], bool)
    shares = co_occurrence(labels)
    # Of AU 0's three images two show AU 1 and one AU 2; AU 2's two images: one shows AU 0.
    assert np.allclose(shares, [[0, 2 / 3, 1 / 3], [1, 0, 0.5], [0.5, 0.5, 0]])


def test_align_names_the_partner_au_and_where_a_confounded_filter_looks() -> None:
    """AU 12 always comes with AU 6 here, and the only informative filter looks at the eyes (AU 6's
    region): it predicts AU 12 perfectly, but the diagnostics say it is AU 6's partner at the eyes."""
    rng = np.random.default_rng(3)
    n, f = 200, 16
    au6 = rng.random(n) < 0.4
    labels = np.stack([au6, au6], axis=1)
    scores = rng.normal(size=(n, f))
    scores[:, 7] += 4 * au6
    centres = np.zeros((n, f, 2))
    centres[:, 7] = [30, 30]  # inside the eyes box below
    eyes = np.tile([[10, 20, 80, 40]], (n, 1)).astype(float)
    mouth = np.tile([[20, 60, 70, 85]], (n, 1)).astype(float)
    region_centres = {"eyes": np.tile([[45.0, 30.0]], (n, 1)), "mouth": np.tile([[45.0, 72.0]], (n, 1))}
    results = align(scores, labels, [6, 12], centres, {6: [eyes], 12: [mouth]}, k=20, region_centres=region_centres)
    au6_result, au12_result = results
    assert au12_result.best_filter == 7 and au12_result.aligned and au12_result.spatial == 0.0
    assert (au12_result.partner, au12_result.partner_share, au12_result.found_in) == (6, 1.0, "eyes")
    assert au6_result.spatial == 1.0 and au6_result.found_in == "eyes"


def test_nearest_region_votes_per_image_and_skips_images_without_landmarks() -> None:
    centres = np.array([[10.0, 10.0], [10.0, 12.0], [50.0, 50.0], [10.0, 10.0]])
    brows = np.array([[10.0, 8.0], [10.0, 8.0], [10.0, 8.0], [np.nan, np.nan]])
    mouth = np.array([[10.0, 40.0], [10.0, 40.0], [50.0, 45.0], [np.nan, np.nan]])
    assert nearest_region(centres, {"brows": brows, "mouth": mouth}) == "brows"  # two votes to one
    assert nearest_region(centres[3:], {"brows": brows[3:], "mouth": mouth[3:]}) == ""
