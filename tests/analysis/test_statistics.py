"""FAU alignment on hand-made activations with known answers (no network)."""

import numpy as np
import pytest
import torch

from fau_lightning.analysis.activations import spatial_maxima, top_k_images, unit_name
from fau_lightning.analysis.auroc import auroc_matrix, stratified_auroc
from fau_lightning.analysis.probes import NO_EMOTION, ProbeSet
from fau_lightning.analysis.regions import NO_REGION, UNKNOWN, RegionMap, region_test
from fau_lightning.analysis.sequences import (
    NEUTRAL_STRATUM,
    SequenceDesign,
    co_occurrence,
)
from fau_lightning.analysis.settings import AlignmentSettings
from fau_lightning.analysis.statistics import (
    LayerScores,
    align,
    best_units,
    held_out_auroc,
    sequence_peaks,
    summary_numbers,
)
from fau_lightning.analysis.verdict_tests import control_test, holm
from fau_lightning.models import ZeroBiasCNN
from tests.helpers.auroc import brute_force_auroc


def make_probe(au_sets: np.ndarray, emotions: np.ndarray, peak_frames: int = 3) -> ProbeSet:
    """A neutral frame then `peak_frames` coded frames per sequence, like CK+'s protocol."""
    rows, sequence, emotion, apex = [], [], [], []
    for g, (aus, e) in enumerate(zip(au_sets, emotions, strict=True)):
        for t in range(peak_frames + 1):
            rows.append(aus if t else np.zeros_like(aus))
            sequence.append(g)
            emotion.append(e if t else (0 if e != NO_EMOTION else NO_EMOTION))
            apex.append(t > 0)
    n = len(rows)
    return ProbeSet(
        np.zeros((n, 8, 8), np.uint8),
        list(range(1, au_sets.shape[1] + 1)),
        np.array(rows, bool),
        np.full((n, 68, 2), np.nan, np.float32),
        np.array(sequence),
        np.array(emotion),
        np.array(apex),
        np.array(sequence).astype(str),
    )


def test_auroc_known_answers() -> None:
    labels = np.array([[1, 0], [1, 0], [0, 1], [0, 1], [0, 0]], bool)
    scores = np.array([[5, 0, 1], [4, 0, 2], [3, 0, 3], [2, 0, 4], [1, 0, 5]], float)  # filter 0 up, 1 flat, 2 down
    auc = auroc_matrix(scores, labels)
    assert auc.shape == (3, 2)
    assert auc[0, 0] == 1.0 and auc[2, 0] == 0.0 and auc[1, 0] == 0.5 and auc[1, 1] == 0.5
    assert auc[0, 1] == pytest.approx(brute_force_auroc(scores[:, 0], labels[:, 1]))
    assert np.isnan(auroc_matrix(scores, np.ones((5, 1), bool))).all()


def test_auroc_matrix_matches_brute_force_with_ties() -> None:
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 5, size=(60, 4)).astype(float)  # many ties
    labels = rng.random((60, 3)) < 0.3
    auc = auroc_matrix(scores, labels)
    for f in range(4):
        for u in range(3):
            assert auc[f, u] == pytest.approx(brute_force_auroc(scores[:, f], labels[:, u]))


def test_stratified_auroc_equals_brute_force_over_within_stratum_pairs() -> None:
    rng = np.random.default_rng(1)
    scores = rng.integers(0, 6, size=(90, 3)).astype(float)
    labels = rng.random((90, 3)) < 0.4
    strata = rng.integers(0, 4, size=90)
    strata[:10] = 9  # a stratum ...
    labels[:10] = True  # ... with positives only adds no pairs
    got = stratified_auroc(scores, labels, strata)
    for k in range(3):
        assert got[k] == pytest.approx(brute_force_auroc(scores[:, k], labels[:, k], strata))
    assert stratified_auroc(scores, labels)[0] == pytest.approx(auroc_matrix(scores[:, :1], labels[:, :1])[0, 0])
    matrix = auroc_matrix(scores, labels, strata)  # every filter against every AU, within strata
    assert matrix[2, 0] == pytest.approx(brute_force_auroc(scores[:, 2], labels[:, 0], strata))


def test_sequence_shuffle_keeps_frames_together_and_neutral_frames_empty() -> None:
    rng = np.random.default_rng(2)
    au_sets = rng.random((30, 4)) < 0.4
    emotions = rng.choice([1, 5, NO_EMOTION], size=30)
    design = SequenceDesign.of(make_probe(au_sets, emotions))
    assert np.array_equal(design.au_sets, au_sets) and np.array_equal(
        design.labels, make_probe(au_sets, emotions).au_present
    )
    for within in (False, True):
        for labels in design.shuffled_labels(20, seed=3, within_emotion=within):
            assert not labels[~design.apex].any()  # neutral frames keep no AU
            per_sequence = [labels[(design.index == g) & design.apex] for g in range(30)]
            assert all((frames == frames[0]).all() for frames in per_sequence)  # a sequence's frames move together
            moved = np.array([frames[0] for frames in per_sequence])
            assert sorted(map(tuple, moved)) == sorted(map(tuple, au_sets))  # the same AU sets, dealt out again
            if within:
                for e in np.unique(emotions):  # only among sequences of the same emotion
                    assert sorted(map(tuple, moved[emotions == e])) == sorted(map(tuple, au_sets[emotions == e]))
    strata = design.strata
    assert (strata[~design.apex] == NEUTRAL_STRATUM).all() and np.array_equal(
        strata[design.apex], np.repeat(emotions, 3)
    )


def _scores_with_planted_filter(
    labels: np.ndarray, au: int, rng: np.random.Generator, filters: int = 16, strength: float = 3.0
) -> np.ndarray:
    scores = rng.normal(size=(len(labels), filters))
    scores[:, 5] += strength * labels[:, au]
    return scores


def _design(rng: np.random.Generator, sequences: int, aus: int = 2) -> SequenceDesign:
    au_sets = rng.random((sequences, aus)) < 0.4
    return SequenceDesign.of(make_probe(au_sets, rng.choice([1, 3, 5, NO_EMOTION], size=sequences)))


def test_a_planted_filter_is_recovered_and_an_absent_one_is_not() -> None:
    rng = np.random.default_rng(4)
    selection, evidence = _design(rng, 80), _design(rng, 40)
    settings = AlignmentSettings(shuffles=400, min_sequences=5)
    sel, ev = (
        _scores_with_planted_filter(selection.labels, 0, rng),
        _scores_with_planted_filter(evidence.labels, 0, rng),
    )
    regions = _two_regions(len(ev), ev.shape[1], looking={5: "brows"})
    controls = [np.array([0.6, 0.6]), np.array([0.62, 0.58]), np.array([0.58, 0.63])]
    judged_on = ([1, 2], LayerScores(sel), selection, LayerScores(ev, regions[1]), evidence, regions[0])
    told: list[tuple[int, int]] = []
    au1, au2 = align(*judged_on, controls, settings, progress=lambda *step: told.append(step))
    assert told == [(k, 7) for k in range(1, 8)]  # each costly step said as it ends
    assert au1.best_unit == 5 and au1.auroc > 0.95 and au1.recovered and au1.region_share == 1.0
    assert au2.auroc < au2.chance and "chance" in au2.failed and not au2.recovered
    numbers = summary_numbers([au1, au2])
    assert numbers["fau/recovered_aus"] == 1 and numbers["fau/tested_aus"] == 2 and numbers["fau/above_chance_aus"] == 1
    beaten = align(*judged_on, [np.array([0.999, 0.6]), np.array([0.99, 0.6]), np.array([0.995, 0.6])], settings)
    assert beaten[0].failed == ("control",)  # untrained networks that do as well take the credit away
    alone = align(*judged_on, controls[:1], settings)
    assert "control" in alone[0].failed  # one untrained network gives no spread to judge against
    assert (
        "region"
        in align([1, 2], LayerScores(sel), selection, LayerScores(ev), evidence, None, controls, settings)[0].failed
    )


def _two_regions(n: int, units: int, looking: dict[int, str]) -> tuple[RegionMap, np.ndarray]:
    """Brows and mouth; every unit's response comes from either (or neither) except those in `looking`."""
    regions = RegionMap(("brows", "mouth"), {1: ("brows",), 2: ("mouth",)})
    found = np.random.default_rng(5).integers(NO_REGION, 2, size=(n, units))
    for u, region in looking.items():
        found[:, u] = regions.names.index(region)
    return regions, found


def test_regions_the_layer_cannot_tell_apart_are_tested_as_one() -> None:
    """AU 1 acts on the brows; its planted unit's response comes from the eyes. Kept apart, brows and
    eyes fail it; merged (as at 48x48 for conv3), the unit passes against the pair's base rate.
    """
    rng = np.random.default_rng(8)
    selection, evidence = _design(rng, 80), _design(rng, 40)
    sel, ev = (
        _scores_with_planted_filter(selection.labels, 0, rng),
        _scores_with_planted_filter(evidence.labels, 0, rng),
    )
    found = rng.integers(NO_REGION, 3, size=ev.shape)  # other units: brows, eyes, mouth or nowhere
    found[:, 5] = 1  # the planted unit: the eyes
    controls = [np.array([0.6, 0.6]), np.array([0.62, 0.58]), np.array([0.58, 0.63])]
    settings = AlignmentSettings(shuffles=400, min_sequences=5)

    def au1(groups: tuple[tuple[str, ...], ...]):
        regions = RegionMap(("brows", "eyes", "mouth"), {1: ("brows",), 2: ("mouth",)}, groups)
        return align(
            [1, 2], LayerScores(sel), selection, LayerScores(ev, found), evidence, regions, controls, settings
        )[0]

    apart, merged = au1(()), au1((("brows", "eyes"),))
    assert apart.failed == ("region",) and apart.found_in == "eyes" and apart.region == "brows"
    assert merged.recovered and merged.region == "brows+eyes" and merged.region_share == 1.0
    assert 0.35 < merged.region_base_rate < 0.65  # two of the four places any unit's peaks land
    everything = au1((("brows", "eyes", "mouth"),))  # a layer that resolves no two regions places nothing
    assert everything.failed == ("region",) and everything.region == "brows+eyes+mouth"
    assert RegionMap(("brows", "eyes", "mouth", "chin"), {26: ("mouth", "chin")}).describe(26) == "mouth / chin"


def test_a_filter_that_only_tracks_emotion_is_rejected_within_emotion() -> None:
    """AU 1 comes with emotion 5 every time, and in 40 % of the unlabelled sequences apart from it:
    a filter that fires for emotion 5 predicts AU 1 well overall, but not inside any stratum.
    """
    rng = np.random.default_rng(6)

    def design(sequences: int) -> SequenceDesign:
        emotions = rng.choice([1, 5, NO_EMOTION], size=sequences, p=[0.3, 0.3, 0.4])
        au1 = (emotions == 5) | ((emotions == NO_EMOTION) & (rng.random(sequences) < 0.4))
        return SequenceDesign.of(make_probe(np.stack([au1, rng.random(sequences) < 0.5], axis=1), emotions))

    selection, evidence = design(120), design(80)

    def emotion_filter(d: SequenceDesign) -> np.ndarray:
        scores = rng.normal(size=(len(d.index), 8))
        scores[:, 3] += 4.0 * (d.strata == 5)
        return scores

    settings = AlignmentSettings(shuffles=400, min_sequences=5)
    au1 = align(
        [1, 2],
        LayerScores(emotion_filter(selection)),
        selection,
        LayerScores(emotion_filter(evidence)),
        evidence,
        settings=settings,
    )[0]
    assert au1.best_unit == 3 and au1.auroc > au1.chance  # above chance overall ...
    assert abs(au1.within_auroc - 0.5) < 0.15 and "within emotion" in au1.failed  # ... but not within emotion


def test_region_test_a_random_filter_rarely_passes_a_region_with_half_the_base_rate() -> None:
    rng = np.random.default_rng(7)
    everyone = rng.integers(0, 2, size=(200, 25))  # 200 filters' top-25 peaks, half in group 0
    passed = [region_test(everyone[f], everyone.ravel(), [0]).p_value < 0.05 for f in range(200)]
    assert np.mean(passed) <= 0.08  # at about the test's level, not half of all filters
    looking = region_test(np.zeros(25, int), everyone.ravel(), [0])
    assert looking.share == 1.0 and looking.base_rate == pytest.approx(0.5, abs=0.02) and looking.p_value < 1e-5
    assert np.isnan(region_test(np.full(25, UNKNOWN), everyone.ravel(), [0]).share)  # no landmarks: no evidence
    elsewhere = region_test(np.array([NO_REGION] * 20 + [0] * 5), everyone.ravel(), [0])
    assert elsewhere.share == 0.2 and elsewhere.p_value > 0.5  # a response from no region counts against the unit


def test_sequence_peaks_take_each_filters_strongest_frame_of_its_strongest_sequences() -> None:
    design = SequenceDesign.of(
        make_probe(np.ones((3, 1), bool), np.array([1, 1, 1]), peak_frames=1)
    )  # frames 0,1 | 2,3 | 4,5
    values = np.array([[0, 5], [1, 0], [9, 0], [2, 7], [3, 0], [4, 1]], float)
    assert sequence_peaks(values, design, k=2).tolist() == [[2, 5], [3, 0]]


def test_held_out_auroc_chooses_on_selection_and_measures_on_evidence() -> None:
    design = SequenceDesign.of(
        make_probe(np.array([[1], [0]], bool), np.array([NO_EMOTION, NO_EMOTION]), peak_frames=1)
    )  # frames: 0 neutral, 1 AU | 2 neutral, 3 no AU
    selection = np.array([[0, 1], [1, 9], [0, 2], [0, 1]], float)  # unit 1 is best on the selection set
    evidence = np.array([[1, 9], [0, 1], [1, 2], [1, 8]], float)  # and backwards on held-out images
    assert held_out_auroc(selection, design, evidence, design).tolist() == [0.0]


def test_the_best_unit_is_chosen_for_the_au_not_for_its_emotion() -> None:
    """Unit 0 fires for emotion 5, which always shows AU 1; unit 1 fires for AU 1 itself, a little more weakly.

    Over all images unit 0 is better; within emotion only unit 1 means anything, so it is chosen.
    """
    rng = np.random.default_rng(8)
    emotions = rng.choice([1, 5, NO_EMOTION], size=150, p=[0.3, 0.3, 0.4])
    au1 = (emotions == 5) | ((emotions == NO_EMOTION) & (rng.random(150) < 0.4))
    design = SequenceDesign.of(make_probe(au1[:, None], emotions))
    scores = rng.normal(size=(len(design.index), 2))
    scores[:, 0] += 4.0 * (design.strata == 5)
    scores[:, 1] += 1.2 * design.labels[:, 0]
    assert auroc_matrix(scores, design.labels)[0, 0] > auroc_matrix(scores, design.labels)[1, 0]
    assert best_units(scores, design.labels, design.strata)[0].tolist() == [1]


def test_co_occurrence_shares() -> None:
    au_sets = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 1], [0, 0, 1]], bool)
    # Of AU 0's three sequences two show AU 1 and one AU 2; AU 2's two: one shows AU 0.
    assert np.allclose(co_occurrence(au_sets), [[0, 2 / 3, 1 / 3], [1, 0, 0.5], [0.5, 0.5, 0]])


def test_top_k_images() -> None:
    scores = np.array([[0.1, 9], [0.9, 8], [0.5, 7], [0.7, 1]])
    assert top_k_images(scores, 2).tolist() == [[1, 3], [0, 1]]


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


@pytest.mark.parametrize("size", [32, 36])  # conv3 maps of 8x8 and 9x9 (overlapping quadrants)
def test_quadrant_units_are_what_quadrant_pooling_hands_to_fc4(size: int) -> None:
    torch.manual_seed(0)
    model = ZeroBiasCNN(widths=(4, 6, 8)).eval()
    images = torch.rand(5, 1, size, size)
    maxima = spatial_maxima(model, "features.relu3", [images], cells=2)
    pooled = model.features(images).reshape(
        5, 8 * 4
    )  # pool3's output: filter-major, then quadrant, as units are numbered
    assert np.allclose(maxima.values, pooled.detach().numpy(), atol=1e-6)
    maps = model.features[: list(dict(model.features.named_children())).index("relu3") + 1](images)
    n, unit = 2, 2 * 4 + 3  # filter 2, bottom right
    assert maps[n, 2, maxima.rows[n, unit], maxima.cols[n, unit]].item() == pytest.approx(float(maxima.values[n, unit]))
    assert maxima.rows[n, unit] >= size // 8 and maxima.cols[n, unit] >= size // 8  # inside the bottom-right cell
    whole = maxima.per_filter()
    assert np.allclose(whole.values, maps.amax(dim=(2, 3)).detach().numpy(), atol=1e-6)
    assert unit_name(unit, 2) == "f2 bottom right" and unit_name(7, 1) == "f7"


def test_holm_rejects_in_order_while_each_p_is_under_its_step() -> None:
    p = np.array([0.04, 0.001, 0.02, 0.3])
    # steps: 0.001 <= 0.05/4, 0.02 > 0.05/3 stops: only the smallest passes
    assert holm(p, 0.05).tolist() == [False, True, False, False]
    assert holm(np.array([0.01, 0.02, 0.04]), 0.05).tolist() == [True, True, True]  # 0.01<=.05/3, .02<=.05/2, .04<=.05


def test_an_untrained_network_seldom_passes_the_control_test_for_any_au() -> None:
    """Exchangeable untrained networks: the old rule (beat the best of 10) lets one through on some of
    17 AUs in most draws; the family-wise bound in about alpha of them.
    """
    rng = np.random.default_rng(0)
    trials, count, aus = 2000, 10, 17
    centre = rng.uniform(0.5, 0.75, size=aus)
    draws = centre + 0.03 * rng.standard_normal((trials, count + 1, aus))
    any_pass = [control_test(d[0], d[1:], 0.05).passed.any() for d in draws]
    beat_the_best = [(d[0] > d[1:].max(axis=0)).any() for d in draws]
    assert np.mean(any_pass) < 0.08 and np.mean(beat_the_best) > 0.7
    learned = control_test(centre + 0.2, draws[0, 1:], 0.05)
    assert learned.passed.all() and (learned.p_value < 1e-3).all()
