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
An AU is `recovered` when it passes all four tests; `failed` names the ones it did not pass. A recovered
AU whose unit answers its own AU more than any other where the AUs come independently (`specific`) has
a *detector*: the verdict's headline counts those (beyond the resampling of people: `specific_margin`).
Detectors are graded by their within-emotion AUROC's interval; a unit that answers another AU more is not.
docs/fau_alignment.md gives the reasons for each choice.
"""

from dataclasses import MISSING, dataclass, field, fields, replace

import numpy as np

from fau_lightning.analysis.activations import at_strongest_cell, unit_name
from fau_lightning.analysis.auroc import auroc_matrix, stratified_auroc
from fau_lightning.analysis.effect_sizes import GRADES, settled_grade, specificity, specificity_margins
from fau_lightning.analysis.regions import RegionMap
from fau_lightning.analysis.sequences import SequenceDesign, co_occurrence
from fau_lightning.analysis.settings import AlignmentSettings
from fau_lightning.analysis.verdict_tests import (
    ControlTest,
    ShuffleTest,
    VerdictTest,
    control_test,
    shuffle_test,
    unit_region_test,
)
from fau_lightning.errors import InputError
from fau_lightning.progress import StepProgress


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
    take = at_strongest_cell(scores.values, scores.cells)
    return LayerScores(take(scores.values), take(scores.regions) if scores.regions is not None else None, 1)


@dataclass(frozen=True, kw_only=True)
class AUVerdict:
    """One AU's verdict and its evidence (built by keyword only: many of its fields are floats)."""

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
    specific_margin: tuple[float, float]  # 95 % interval of specific_auroc minus the strongest other AU's
    failed: tuple[VerdictTest, ...] = field(default=())  # tests not passed, in VerdictTest's order
    grade: str = ""  # recovered, unless it responds to another AU: strong, clear or weak (effect_sizes.grade)

    @property
    def recovered(self) -> bool:
        return not self.failed

    @property
    def specificity_known(self) -> bool:
        """Whether the evidence holds sequences where this AU comes independently of the others."""
        return not np.isnan(self.specific_auroc)

    @property
    def specific(self) -> bool:
        """The unit answers its own AU more than any other tested AU where AUs come independently, beyond
        the resampling of people (its margin's interval lies above zero).
        """
        if self.rival < 0:
            return self.specificity_known
        return bool(self.specific_margin[0] > 0)

    @property
    def detector(self) -> bool:
        """Recovered, and specific: the unit detects this AU rather than one that comes with it."""
        return self.recovered and self.specific

    @property
    def responds_to_other(self) -> bool:
        """Recovered, but its unit answers another AU (`rival`) more, beyond the resampling of people."""
        return self.recovered and self.specificity_known and self.rival >= 0 and bool(self.specific_margin[1] < 0)

    @property
    def specificity_unsettled(self) -> bool:
        """Recovered, and whether its unit answers its own AU or `rival` more is within the resampling's reach."""
        return self.recovered and self.specificity_known and not self.specific and not self.responds_to_other

    @property
    def outcome(self) -> str:
        """The verdict in words: "specific detector, strong", "responds, but to AU 26 more", "failed: ..."."""
        if not self.recovered:
            return f"failed: {', '.join(self.failed)}"
        if self.responds_to_other:
            return f"responds, but to AU {self.rival} more"
        if self.specificity_unsettled:
            return f"recovered, not shown specific (AU {self.rival} about as much)"
        return f"specific detector, {self.grade}" if self.detector else f"recovered, {self.grade} (specificity unknown)"


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


@dataclass(frozen=True)
class _Measured:
    """Everything the verdict reads for the tested AUs, measured once (T: the tested AUs)."""

    tested: np.ndarray  # (T,) AU columns
    best: np.ndarray  # (T,) each AU's best unit, chosen on the selection set
    train_auroc: np.ndarray  # (T,)
    overall: ShuffleTest
    within: ShuffleTest
    control: ControlTest
    answers: np.ndarray  # (T, T) row j: AU j's unit answering each tested AU where AUs come independently
    margins: np.ndarray  # (T, 2) interval of each row's own answer minus its strongest other
    together: np.ndarray  # (U, U) co-occurrence of the AUs in sequences
    held_out_sequences: np.ndarray  # (U,)
    peaks: np.ndarray | None  # (units, K) region of each unit's peak frames


def align(
    au_codes: list[int],
    selection: LayerScores,
    selection_design: SequenceDesign,
    evidence: LayerScores,
    evidence_design: SequenceDesign,
    regions: RegionMap | None = None,
    controls: list[np.ndarray] | None = None,
    settings: AlignmentSettings = AlignmentSettings(),
    progress: StepProgress | None = None,
) -> list[AUVerdict]:
    """The verdict for every AU with enough sequences in both sets.

    `controls`: for each untrained network, its `held_out_auroc` (U,) over the same AU columns; at
    least two are needed for the control test (`verdict_tests.control_test`).
    Without controls or regions those tests cannot be passed, and say so in `failed`.
    `progress(done, 7)` as each of its seven costly steps ends.
    """
    counts = [*selection_design.sequence_counts(), *evidence_design.sequence_counts()]
    tested = np.flatnonzero(np.all([c >= settings.min_sequences for c in counts], axis=0))
    if not len(tested):
        return []
    steps = iter(range(1, 8))

    def step_done() -> None:
        if progress is not None:
            progress(next(steps), 7)

    best, train_auroc = best_units(selection.values, selection_design.labels[:, tested], selection_design.strata)
    step_done()
    scores = evidence.values[:, best]  # (N, T) each tested AU's best unit on held-out subjects
    overall = shuffle_test(scores, evidence_design, tested, settings, within_emotion=False, halfway=step_done)
    step_done()
    within = shuffle_test(scores, evidence_design, tested, settings, within_emotion=True, halfway=step_done)
    step_done()
    margins = specificity_margins(scores, evidence_design, tested, settings.resamples, settings.seed)
    step_done()
    peaks = _peak_regions(evidence, evidence_design, regions, settings.top_sequences)
    step_done()
    control_aurocs = np.array([c[tested] for c in controls or []]).reshape(-1, len(tested))
    measured = _Measured(
        tested=tested,
        best=best,
        train_auroc=train_auroc,
        overall=overall,
        within=within,
        control=control_test(overall.auroc, control_aurocs, settings.alpha),
        answers=specificity(scores, evidence_design, tested),
        margins=margins,
        together=co_occurrence(np.concatenate([selection_design.au_sets, evidence_design.au_sets])),
        held_out_sequences=counts[2],
        peaks=peaks,
    )
    return [_verdict(measured, j, au_codes, regions, settings, evidence.cells) for j in range(len(tested))]


def _verdict(
    m: _Measured, j: int, au_codes: list[int], regions: RegionMap | None, settings: AlignmentSettings, cells: int
) -> AUVerdict:
    """The verdict of the j-th tested AU, from what `align` measured."""
    column, unit = int(m.tested[j]), int(m.best[j])
    au = au_codes[column]
    region = unit_region_test(unit, au, m.peaks, regions, settings.alpha)
    passed = {
        VerdictTest.CHANCE: m.overall.passed[j],
        VerdictTest.CONTROL: m.control.passed[j],
        VerdictTest.WITHIN_EMOTION: m.within.passed[j],
        VerdictTest.REGION: region.passed,
    }
    failed = tuple(test for test in VerdictTest if not passed[test])
    partner = int(np.argmax(m.together[column])) if m.together[column].max() > 0 else -1
    others = np.where(np.arange(len(m.tested)) == j, np.nan, m.answers[j])
    rival = int(np.nanargmax(others)) if np.isfinite(others).any() else -1
    return graded(
        AUVerdict(
            au=au,
            sequences=int(m.held_out_sequences[column]),
            best_unit=unit,
            unit=unit_name(unit, cells),
            train_auroc=float(m.train_auroc[j]),
            auroc=float(m.overall.auroc[j]),
            chance=float(m.overall.chance[j]),
            control_mean=float(m.control.mean[j]),
            control_sd=float(m.control.sd[j]),
            control_p=float(m.control.p_value[j]),
            within_auroc=float(m.within.auroc[j]),
            within_chance=float(m.within.chance[j]),
            region=region.region,
            region_share=region.share,
            region_base_rate=region.base_rate,
            found_in=region.found_in,
            partner=au_codes[partner] if partner >= 0 else -1,
            partner_share=float(m.together[column, partner]) if partner >= 0 else 0.0,
            auroc_interval=tuple(float(x) for x in m.overall.interval[j]),
            within_interval=tuple(float(x) for x in m.within.interval[j]),
            specific_auroc=float(m.answers[j, j]),
            rival=au_codes[m.tested[rival]] if rival >= 0 else -1,
            rival_auroc=float(others[rival]) if rival >= 0 else float("nan"),
            specific_margin=tuple(float(x) for x in m.margins[j]),
            failed=failed,
        ),
        settings,
    )


def graded(verdict: AUVerdict, settings: AlignmentSettings) -> AUVerdict:
    """The verdict with its grade: a specific detector (or a recovered AU whose specificity cannot be
    measured) by its within-emotion AUROC's interval against the settings' thresholds
    (`effect_sizes.settled_grade`); any other AU gets none.
    """
    if not verdict.detector and not (verdict.recovered and not verdict.specificity_known):
        return replace(verdict, grade="")
    within = settled_grade(verdict.within_auroc, verdict.within_interval, settings.strong_auroc, settings.clear_auroc)
    return replace(verdict, grade=within)


def verdict_from_record(record: dict, settings: AlignmentSettings) -> AUVerdict:
    """An AU's verdict from its report.json record (`fau.alignments[i]`), graded by this version's rule,
    so that summaries over reports written at different times judge them all alike.

    Raises:
        InputError: the record lacks a field the verdict needs (a report from before it existed: judge the
            checkpoint again with `fau-analyze`).
    """
    names = {f.name for f in fields(AUVerdict)}
    missing = sorted(f.name for f in fields(AUVerdict) if f.name not in record and f.default is MISSING)
    if missing:
        raise InputError(f"an AU verdict written before {', '.join(missing)} existed: judge its checkpoint again")
    values = {name: value for name, value in record.items() if name in names}
    values["failed"] = tuple(VerdictTest(test) for test in values.get("failed", ()))
    for name in ("auroc_interval", "within_interval", "specific_margin"):
        values[name] = tuple(values[name])
    return graded(AUVerdict(**values), settings)


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
    """For dashboards: the specific detectors first (the headline), then how many AUs were tested,
    recovered, passed each test, and the detectors per grade; mean held-out AUROCs.
    """

    def count(test: VerdictTest) -> float:
        return float(sum(test not in r.failed for r in results))

    return {
        "fau/specific_detectors": float(sum(r.detector for r in results)),
        "fau/tested_aus": float(len(results)),
        "fau/recovered_aus": float(sum(r.recovered for r in results)),
        "fau/responds_to_other_aus": float(sum(r.responds_to_other for r in results)),
        "fau/specificity_unsettled_aus": float(sum(r.specificity_unsettled for r in results)),
        "fau/above_chance_aus": count(VerdictTest.CHANCE),
        "fau/above_control_aus": count(VerdictTest.CONTROL),
        "fau/within_emotion_aus": count(VerdictTest.WITHIN_EMOTION),
        "fau/region_aus": count(VerdictTest.REGION),
        **{f"fau/{g}_aus": float(sum(r.grade == g for r in results)) for g in GRADES},
        "fau/grade_unsettled_aus": float(sum(r.grade not in ("", *GRADES) for r in results)),
        "fau/mean_heldout_auroc": float(np.mean([r.auroc for r in results])) if results else float("nan"),
        "fau/mean_within_emotion_auroc": float(np.nanmean([r.within_auroc for r in results]))
        if results
        else float("nan"),
    }
