"""FAU alignment (DESIGN §5): how well each filter's activation predicts each action unit.

All functions take plain arrays: `scores` (N images, F filters), e.g. the spatial maxima of a layer,
and `labels` (N, U) booleans, AU present or not (neutral frames: none).
"""

from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata


def auroc_matrix(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(F, U) area under the ROC curve of each filter's score for each AU (Mann-Whitney, ties averaged).

    NaN for an AU that is present in all images or in none.
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=bool)
    ranks = rankdata(scores, axis=0)  # (N, F), average ranks for ties
    positives = labels.sum(axis=0).astype(np.float64)  # (U,)
    negatives = len(labels) - positives
    rank_sums = labels.T.astype(np.float64) @ ranks  # (U, F)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (rank_sums - positives[:, None] * (positives[:, None] + 1) / 2) / (positives[:, None] * negatives[:, None])
    auc[(positives == 0) | (negatives == 0)] = np.nan
    return auc.T


def top_k_images(scores: np.ndarray, k: int) -> np.ndarray:
    """(F, k) indices of the images that excite each filter most, strongest first."""
    k = min(k, len(scores))
    part = np.argpartition(-scores, k - 1, axis=0)[:k]  # (k, F), unordered
    order = np.argsort(-np.take_along_axis(scores, part, axis=0), axis=0, kind="stable")
    return np.take_along_axis(part, order, axis=0).T


@dataclass(frozen=True)
class TopKProfile:
    frequency: np.ndarray  # (F, U) share of each filter's top-K images showing the AU
    base_rate: np.ndarray  # (U,) share of all images showing the AU
    lift: np.ndarray  # (F, U) frequency / base rate


def top_k_profile(scores: np.ndarray, labels: np.ndarray, k: int) -> TopKProfile:
    """The paper's check: AU frequencies among each filter's top-K images against the whole set."""
    labels = np.asarray(labels, dtype=bool)
    top = top_k_images(scores, k)  # (F, k)
    frequency = labels[top].mean(axis=1)  # (F, k, U) -> (F, U)
    base = labels.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        lift = frequency / base
    return TopKProfile(frequency, base, lift)


@dataclass(frozen=True)
class PermutationBaseline:
    best: np.ndarray  # (S, U) best-filter AUROC per shuffle and AU
    filter_mean: np.ndarray  # (S, U) mean AUROC over filters per shuffle and AU (should sit at 0.5)

    def threshold(self, quantile: float = 0.95) -> np.ndarray:
        """(U,) the best-filter AUROC that chance reaches with probability 1 - quantile."""
        return np.quantile(self.best, quantile, axis=0)


def permutation_baseline(scores: np.ndarray, labels: np.ndarray, shuffles: int = 20, seed: int = 0) -> PermutationBaseline:
    """Best-filter AUROC when the labels are shuffled across images (rows kept whole, so AUs keep their
    co-occurrence): a max over many filters is inflated by chance, and this measures by how much."""
    rng = np.random.default_rng(seed)
    best, mean = [], []
    for _ in range(shuffles):
        auc = auroc_matrix(scores, np.asarray(labels)[rng.permutation(len(labels))])
        best.append(np.nanmax(auc, axis=0))
        mean.append(np.nanmean(auc, axis=0))
    return PermutationBaseline(np.array(best), np.array(mean))


def region_boxes(landmarks: np.ndarray, indices: tuple[int, ...], margin: float = 0.15) -> np.ndarray:
    """(N, 4) x0, y0, x1, y1 around the given landmarks of each image, grown on every side by `margin`
    times the face's width (the jaw's span); NaN rows where an image has no landmarks."""
    points = landmarks[:, list(indices)]  # (N, P, 2)
    width = landmarks[:, :17, 0].max(axis=1) - landmarks[:, :17, 0].min(axis=1)
    pad = (margin * width)[:, None]
    return np.concatenate([points.min(axis=1) - pad, points.max(axis=1) + pad], axis=1)


def spatial_agreement(centres: np.ndarray, boxes: list[np.ndarray]) -> float:
    """Share of activation centres (K, 2 as x, y) inside any of the given boxes ((K, 4) each, same
    images); images whose boxes are NaN (no landmarks) are left out. NaN if none is left."""
    inside = np.zeros(len(centres), bool)
    known = np.zeros(len(centres), bool)
    for b in boxes:
        ok = ~np.isnan(b).any(axis=1)
        known |= ok
        inside |= ok & (centres[:, 0] >= b[:, 0]) & (centres[:, 0] <= b[:, 2]) & (centres[:, 1] >= b[:, 1]) & (centres[:, 1] <= b[:, 3])
    return float(inside[known].mean()) if known.any() else float("nan")


def nearest_region(centres: np.ndarray, region_centres: dict[str, np.ndarray]) -> str:
    """The region whose centre (per image, (K, 2)) is nearest to most of the activation centres (K, 2);
    regions overlap once grown by a margin, nearness does not. "" if no image has landmarks."""
    names = list(region_centres)
    distance = np.stack([np.linalg.norm(centres - region_centres[n], axis=1) for n in names])  # (R, K)
    known = ~np.isnan(distance).any(axis=0)
    if not known.any():
        return ""
    votes = np.bincount(np.argmin(distance[:, known], axis=0), minlength=len(names))
    return names[int(np.argmax(votes))]


@dataclass(frozen=True)
class AUAlignment:
    au: int
    support: int  # images showing the AU
    best_filter: int
    auroc: float
    chance: float  # the permutation baseline's 95th percentile of the best-filter AUROC
    aligned: bool  # auroc above chance
    lift: float  # the best filter's top-K lift for this AU
    spatial: float  # share of the best filter's top-K activation centres in the AU's region (NaN: no landmarks)
    partner: int  # the AU seen most often with this one (-1: none), the usual confound
    partner_share: float  # share of this AU's images that also show the partner
    found_in: str  # the region nearest most of the best filter's top-K activation centres ("": unknown)

    @property
    def recovered(self) -> bool:
        """Above chance, and most of the best filter's top activations sit in the AU's region."""
        return self.aligned and self.spatial > 0.5


def co_occurrence(labels: np.ndarray) -> np.ndarray:
    """(U, U) share of the images showing AU i (row) that also show AU j; the diagonal is zeroed."""
    labels = np.asarray(labels, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = (labels.T @ labels) / labels.sum(axis=0)[:, None]
    np.fill_diagonal(shares, 0)
    return np.nan_to_num(shares)


def align(
    scores: np.ndarray,
    labels: np.ndarray,
    au_codes: list[int],
    centres: np.ndarray | None = None,
    au_boxes: dict[int, list[np.ndarray]] | None = None,
    k: int = 25,
    min_support: int = 10,
    shuffles: int = 20,
    seed: int = 0,
    region_centres: dict[str, np.ndarray] | None = None,
) -> list[AUAlignment]:
    """Per AU with at least `min_support` positive images: the best filter by AUROC against the
    permutation baseline, its top-K lift and, if `centres` ((N, F, 2) activation centres in image
    pixels) and `au_boxes` (AU -> region boxes per image) are given, its spatial agreement.

    Two diagnostics say why a filter can predict an AU without looking at it: the AU that most often
    comes with it (its partner) and, given `region_centres` (name -> (N, 2) x, y per image), which
    region the filter's top activations lie nearest."""
    labels = np.asarray(labels, dtype=bool)
    together = co_occurrence(labels)
    keep = [i for i in range(labels.shape[1]) if labels[:, i].sum() >= min_support and (~labels[:, i]).sum() >= min_support]
    if not keep:
        return []
    labels = labels[:, keep]
    auc = auroc_matrix(scores, labels)
    chance = permutation_baseline(scores, labels, shuffles, seed).threshold()
    lift = top_k_profile(scores, labels, k).lift
    top = top_k_images(scores, k)
    results = []
    for j, column in enumerate(keep):
        au = au_codes[column]
        f = int(np.nanargmax(auc[:, j]))
        spatial, found_in = float("nan"), ""
        if centres is not None and au_boxes is not None and au in au_boxes:
            images = top[f]
            spatial = spatial_agreement(centres[images, f], [b[images] for b in au_boxes[au]])
        if centres is not None and region_centres:
            found_in = nearest_region(centres[top[f], f], {name: c[top[f]] for name, c in region_centres.items()})
        partner = int(np.argmax(together[column])) if together[column].max() > 0 else -1
        results.append(
            AUAlignment(
                au, int(labels[:, j].sum()), f, float(auc[f, j]), float(chance[j]), bool(auc[f, j] > chance[j]), float(lift[f, j]), spatial,
                au_codes[partner] if partner >= 0 else -1, float(together[column, partner]) if partner >= 0 else 0.0, found_in,
            )
        )  # fmt: skip
    return results


def summary_numbers(results: list[AUAlignment]) -> dict[str, float]:
    """For dashboards: mean best-filter AUROC over the supported AUs, how many align, how many are recovered."""
    if not results:
        return {"fau/mean_best_auroc": float("nan"), "fau/aligned_aus": 0.0, "fau/recovered_aus": 0.0, "fau/supported_aus": 0.0}
    return {
        "fau/mean_best_auroc": float(np.mean([r.auroc for r in results])),
        "fau/aligned_aus": float(sum(r.aligned for r in results)),
        "fau/recovered_aus": float(sum(r.recovered for r in results)),
        "fau/supported_aus": float(len(results)),
    }
