"""FAU alignment: did a layer learn to detect an action unit? One verdict per AU, with its evidence.

For each AU with enough sequences, on plain arrays (no model, no Trainer):
1. the best unit (a filter, or one cell of its map) is chosen on the *selection* probe set (the training
   subjects), by its weaker AUROC over all images and within emotion;
2. its AUROC is measured on the *evidence* set (held-out subjects), against chance from shuffling
   whole sequences' AU sets (Bonferroni-corrected over the AUs tested);
3. inside each emotion stratum, pooled, against chance from shuffling AU sets between sequences of
   the same emotion (a unit that only detects the emotion sits at chance here);
4. against untrained networks of the same architecture (the control): its AUROC must lie above
   their distribution (a t prediction bound from their mean and spread, Holm-corrected over the AUs);
5. where its response comes from in its strongest held-out sequences (the facial region whose
   occlusion lowers it most), against the base rate of all units; regions closer together than the
   layer resolves count as one (a layer that merges every region cannot pass this test).
An AU is `recovered` when it passes all four tests; `failed` names the ones it did not pass.
docs/fau_alignment.md gives the reasons for each choice.
"""

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from fau_lightning.analysis.activations import unit_name
from fau_lightning.analysis.auroc import (
    auroc_matrix,
    pooled_auroc,
    ranks_within,
    stratified_auroc,
)
from fau_lightning.analysis.effect_sizes import GRADES, grade, person_intervals, specificity
from fau_lightning.analysis.regions import UNKNOWN, region_test
from fau_lightning.analysis.sequences import SequenceDesign, co_occurrence
from fau_lightning.analysis.settings import AlignmentSettings


@dataclass(frozen=True)
class LayerScores:
    """One network's layer on one probe set: each unit's maximum and where it is."""

    values: np.ndarray  # (N, U)
    regions: np.ndarray | None = None  # (N, U) where each unit's response comes from (occlusion.response_regions)
    cells: int = 1  # cells per side of each filter map (unit u is filter u // cells², cell u % cells²)


def whole_maps(scores: LayerScores) -> LayerScores:
    """The same layer with each filter's whole map as one unit: its maximum is the largest of its
    cells' maxima, and its response comes from where that cell's did.
    """
    if scores.cells == 1:
        return scores
    images, units = scores.values.shape
    per_filter = scores.values.reshape(images, units // scores.cells**2, scores.cells**2)
    peak = per_filter.argmax(axis=2)[..., None]
    regions = None
    if scores.regions is not None:
        regions = np.take_along_axis(scores.regions.reshape(per_filter.shape), peak, axis=2)[..., 0]
    return LayerScores(np.take_along_axis(per_filter, peak, axis=2)[..., 0], regions, 1)


@dataclass(frozen=True)
class RegionMap:
    """The facial regions that `LayerScores.regions` indexes, the regions each AU acts on, and the
    groups of regions the layer cannot tell apart (`regions.unresolved_groups`), tested as one.
    """

    names: tuple[str, ...]  # region index -> name
    au_regions: dict[int, tuple[str, ...]]  # AU -> the regions it acts on
    groups: tuple[tuple[str, ...], ...] = ()  # regions merged for this layer; each region in at most one

    def name(self, index: int) -> str:
        return self.names[index] if index >= 0 else "elsewhere"

    def group_of(self, region: str) -> tuple[str, ...]:
        return next((group for group in self.groups if region in group), (region,))

    def targets(self, au: int) -> list[int]:
        """Indices of the AU's regions and of the regions merged with them."""
        merged = {name for region in self.au_regions[au] for name in self.group_of(region)}
        return sorted(self.names.index(name) for name in merged)

    def describe(self, au: int) -> str:
        """The AU's regions as tested: "mouth / chin", or "brows+eyes" where the layer merges them."""
        return " / ".join(dict.fromkeys("+".join(self.group_of(region)) for region in self.au_regions[au]))


@dataclass(frozen=True)
class AUVerdict:
    au: int
    sequences: int  # held-out sequences showing the AU
    best_unit: int  # chosen on the selection set: column of the layer's unit maxima
    unit: str  # that unit as people read it ("f118 top left")
    train_auroc: float  # its AUROC on the selection set
    auroc: float  # its AUROC on held-out subjects
    chance: float  # corrected chance line for `auroc` (sequence shuffles)
    control_mean: float  # untrained networks' held-out AUROC for this AU: mean (NaN: fewer than 2 networks)
    control_sd: float  # and standard deviation
    control_p: float  # chance that an untrained network reaches `auroc` (t prediction bound; NaN: no control)
    within_auroc: float  # held-out AUROC within emotion strata, pooled (NaN: no stratum varies)
    within_chance: float  # corrected chance line for `within_auroc`
    region: str  # the AU's region(s) as tested: "brows+eyes" where the layer cannot tell them apart
    region_share: float  # share of the best unit's top-K held-out peaks in that region
    region_base_rate: float  # share of all units' top-K peaks there (every unit weighs the same)
    found_in: str  # the region holding most of the best unit's peaks
    partner: int  # the AU most often coded with this one (-1: none)
    partner_share: float  # share of this AU's sequences that also show the partner
    auroc_interval: tuple[float, float]  # 95 % interval of `auroc`, resampling the held-out people
    within_interval: tuple[float, float]  # and of `within_auroc`
    specific_auroc: float  # the unit's AUROC for its AU where AUs come independently (no emotion label)
    rival: int  # there, the other tested AU the unit answers most (-1: none)
    rival_auroc: float  # and its AUROC for that AU
    failed: tuple[str, ...] = field(default=())  # tests not passed: chance, control, within emotion, region
    grade: str = ""  # recovered AUs: strong, clear or weak by within-emotion AUROC (effect_sizes.grade)

    @property
    def recovered(self) -> bool:
        return not self.failed

    @property
    def specific(self) -> bool:
        """The unit answers its own AU more than any other tested AU where AUs come independently."""
        if self.rival < 0:
            return not np.isnan(self.specific_auroc)
        return bool(self.specific_auroc > self.rival_auroc)


def best_units(
    selection: np.ndarray, selection_labels: np.ndarray, strata: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(best unit per AU, its AUROC) on the selection set: the unit whose weaker AUROC, over all images
    and within emotion strata (where some stratum varies), is highest. A unit that only detects the
    emotion an AU comes with is high overall but not within emotion, so it is not chosen.
    """
    overall = auroc_matrix(selection, selection_labels)
    score = np.fmin(overall, auroc_matrix(selection, selection_labels, strata))
    best = np.nanargmax(np.nan_to_num(score, nan=-1.0), axis=0)
    return best, overall[best, np.arange(overall.shape[1])]


def held_out_auroc(
    selection: np.ndarray, selection_design: SequenceDesign, evidence: np.ndarray, evidence_design: SequenceDesign
) -> np.ndarray:
    """(U,) held-out AUROC of each AU's best unit as chosen on the selection set: what a control network reaches."""
    best, _ = best_units(selection, selection_design.labels, selection_design.strata)
    return stratified_auroc(evidence[:, best], evidence_design.labels)


@dataclass(frozen=True)
class ControlTest:
    """Each AU's held-out AUROC against the untrained networks' AUROCs for it."""

    mean: np.ndarray  # (T,)
    sd: np.ndarray  # (T,)
    p_value: np.ndarray  # (T,) one-sided: an untrained network drawn from the same distribution does as well
    passed: np.ndarray  # (T,) bool, Holm-corrected over the T AUs


def control_test(auroc: np.ndarray, controls: np.ndarray, alpha: float) -> ControlTest:
    """`auroc` (T,) against `controls` (C, T), one row per untrained network.

    A new untrained network's AUROC, if they are normal, lies above mean + t·sd·sqrt(1 + 1/C) with
    the t distribution's tail probability (a prediction bound; C - 1 degrees of freedom), so an
    untrained network passes for any one AU with chance p and, after Holm's step-down correction,
    for any of the T AUs with chance at most `alpha`. With fewer than two controls nothing passes.
    """
    count, tests = len(controls), auroc.shape[0]
    if count < 2:
        nan = np.full(tests, np.nan)
        return ControlTest(controls.mean(axis=0) if count else nan, nan, nan, np.zeros(tests, bool))
    mean, sd = controls.mean(axis=0), controls.std(axis=0, ddof=1)
    scale = np.maximum(sd, 1e-12) * np.sqrt(1 + 1 / count)
    p_value = stats.t.sf((auroc - mean) / scale, df=count - 1)
    return ControlTest(mean, sd, p_value, holm(p_value, alpha))


def holm(p_values: np.ndarray, alpha: float) -> np.ndarray:
    """Holm's step-down: reject the smallest p-values in turn while the i-th smallest is at most alpha / (T - i)."""
    passed = np.zeros(len(p_values), bool)
    for rank, index in enumerate(np.argsort(p_values, kind="stable")):
        if not p_values[index] <= alpha / (len(p_values) - rank):
            break
        passed[index] = True
    return passed


def corrected_quantile(null: np.ndarray, tests: int, alpha: float) -> np.ndarray:
    """(U,) the 1 - alpha / tests quantile of each column of a null distribution (S, U)."""
    return np.nanquantile(null, 1 - alpha / max(tests, 1), axis=0)


def sequence_peaks(values: np.ndarray, design: SequenceDesign, k: int) -> np.ndarray:
    """(F, K) image index of each unit's strongest frame in each of its K strongest sequences."""
    order = np.argsort(design.index, kind="stable")  # images grouped by sequence
    counts = np.bincount(design.index)
    width = counts.max()
    slots = np.full((len(counts), width), -1)
    position = np.arange(len(order)) - np.repeat(np.cumsum(counts) - counts, counts)
    slots[design.index[order], position] = order
    padded = np.where(slots[..., None] >= 0, values[slots], -np.inf)  # (G, width, F)
    frame = np.take_along_axis(slots[..., None], padded.argmax(axis=1)[:, None, :], axis=1)[:, 0]  # (G, F)
    k = min(k, len(counts))
    top = np.argsort(-padded.max(axis=1), axis=0, kind="stable")[:k]  # (K, F)
    return np.take_along_axis(frame, top, axis=0).T


def align(
    au_codes: list[int],
    selection: LayerScores,
    selection_design: SequenceDesign,
    evidence: LayerScores,
    evidence_design: SequenceDesign,
    regions: RegionMap | None = None,
    controls: list[np.ndarray] | None = None,
    settings: AlignmentSettings = AlignmentSettings(),
) -> list[AUVerdict]:
    """The verdict for every AU with enough sequences in both sets.

    `controls`: for each untrained network, its `held_out_auroc` (U,) over the same AU columns; at
    least two are needed for the control test (`control_test`).
    Without controls or regions those tests cannot be passed, and say so in `failed`.
    """
    selection_labels, evidence_labels = selection_design.labels, evidence_design.labels
    counts = [*selection_design.sequence_counts(), *evidence_design.sequence_counts()]
    tested = np.flatnonzero(np.all([c >= settings.min_sequences for c in counts], axis=0))
    if not len(tested):
        return []
    best, train_auc = best_units(selection.values, selection_labels[:, tested], selection_design.strata)
    scores = evidence.values[:, best]  # (N, T) each tested AU's best unit on held-out subjects
    labels = evidence_labels[:, tested]

    def observed_and_chance(strata: np.ndarray, within_emotion: bool) -> tuple[np.ndarray, np.ndarray]:
        ranks = ranks_within(scores, strata)
        shuffled = evidence_design.shuffled_labels(settings.shuffles, settings.seed + within_emotion, within_emotion)[
            ..., tested
        ]
        return pooled_auroc(ranks, labels, strata), corrected_quantile(
            pooled_auroc(ranks, shuffled, strata), len(tested), settings.alpha
        )

    overall_strata = np.zeros(len(scores), np.int64)
    auc, chance = observed_and_chance(overall_strata, within_emotion=False)
    within, within_chance = observed_and_chance(evidence_design.strata, within_emotion=True)
    intervals = [
        person_intervals(scores, labels, strata, evidence_design.person, settings.resamples, settings.seed)
        for strata in (overall_strata, evidence_design.strata)
    ]
    answers = specificity(scores, evidence_design, tested)  # (T, T)
    within_support = evidence_design.within_emotion_positives()[tested]
    control = control_test(auc, np.array([c[tested] for c in controls or []]).reshape(-1, len(tested)), settings.alpha)
    together = co_occurrence(np.concatenate([selection_design.au_sets, evidence_design.au_sets]))
    peaks = _peak_regions(evidence, evidence_design, regions, settings.top_sequences)
    results = []
    for j, column in enumerate(tested):
        au, f = au_codes[column], int(best[j])
        failed = []
        if not auc[j] > chance[j]:
            failed.append("chance")
        if not control.passed[j]:
            failed.append("control")
        if within_support[j] < settings.min_sequences or not within[j] > within_chance[j]:
            failed.append("within emotion")
        known = regions is not None and au in regions.au_regions
        region, targets = (regions.describe(au), regions.targets(au)) if known else ("", [])
        share, base, found = float("nan"), float("nan"), ""
        # without occlusion evidence, or where the layer merges every region, nothing can be placed
        if peaks is not None and 0 < len(targets) < len(regions.names):
            evidence_of_region = region_test(peaks[f], peaks.ravel(), targets)
            share, base = evidence_of_region.share, evidence_of_region.base_rate
            mine = peaks[f][peaks[f] != UNKNOWN]
            found = regions.name(int(np.bincount(mine + 1).argmax()) - 1) if len(mine) else ""
            if not evidence_of_region.p_value < settings.alpha:
                failed.append("region")
        else:
            failed.append("region")
        partner = int(np.argmax(together[column])) if together[column].max() > 0 else -1
        others = np.where(np.arange(len(tested)) == j, np.nan, answers[j])
        rival = int(np.nanargmax(others)) if np.isfinite(others).any() else -1
        results.append(
            AUVerdict(
                au,
                int(counts[2][column]),
                f,
                unit_name(f, evidence.cells),
                float(train_auc[j]),
                float(auc[j]),
                float(chance[j]),
                float(control.mean[j]),
                float(control.sd[j]),
                float(control.p_value[j]),
                float(within[j]),
                float(within_chance[j]),
                region,
                share,
                base,
                found,
                au_codes[partner] if partner >= 0 else -1,
                float(together[column, partner]) if partner >= 0 else 0.0,
                tuple(float(x) for x in intervals[0][j]),
                tuple(float(x) for x in intervals[1][j]),
                float(answers[j, j]),
                au_codes[tested[rival]] if rival >= 0 else -1,
                float(others[rival]) if rival >= 0 else float("nan"),
                tuple(failed),
                "" if failed else grade(float(within[j]), settings.strong_auroc, settings.clear_auroc),
            )
        )
    return results


def peak_frames(values: np.ndarray, design: SequenceDesign, cells: int, k: int) -> np.ndarray:
    """The images the region test reads (`_peak_regions`): each unit's and each whole map's strongest
    frame in its k strongest sequences; where a response comes from is needed nowhere else.
    """
    units = sequence_peaks(values, design, k)
    maps = sequence_peaks(whole_maps(LayerScores(values, cells=cells)).values, design, k)
    return np.union1d(units, maps)


def _peak_regions(
    evidence: LayerScores, design: SequenceDesign, regions: RegionMap | None, k: int
) -> np.ndarray | None:
    """(U, K) where each unit's response came from in its top-K held-out sequences' peak frames."""
    if regions is None or evidence.regions is None:
        return None
    frames = sequence_peaks(evidence.values, design, k)  # (U, K)
    return evidence.regions[frames, np.arange(len(frames))[:, None]]


def summary_numbers(results: list[AUVerdict]) -> dict[str, float]:
    """For dashboards: how many AUs were tested, passed each test, and were recovered; mean held-out AUROCs."""

    def count(test: str) -> float:
        return float(sum(test not in r.failed for r in results))

    return {
        "fau/tested_aus": float(len(results)),
        "fau/recovered_aus": float(sum(r.recovered for r in results)),
        "fau/above_chance_aus": count("chance"),
        "fau/above_control_aus": count("control"),
        "fau/within_emotion_aus": count("within emotion"),
        "fau/region_aus": count("region"),
        **{f"fau/{g}_aus": float(sum(r.grade == g for r in results)) for g in GRADES},
        "fau/specific_aus": float(sum(r.specific for r in results)),
        "fau/mean_heldout_auroc": float(np.mean([r.auroc for r in results])) if results else float("nan"),
        "fau/mean_within_emotion_auroc": float(np.nanmean([r.within_auroc for r in results]))
        if results
        else float("nan"),
    }
