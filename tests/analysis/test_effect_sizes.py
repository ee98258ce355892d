"""Effect sizes beside the verdict: intervals over people, grades, specificity where AUs come
independently, and whole filter maps as units.
"""

import json
from dataclasses import asdict, replace

import numpy as np
import pytest

from fau_lightning.analysis.auroc import stratified_auroc
from fau_lightning.analysis.effect_sizes import (
    grade,
    grade_thresholds,
    person_intervals,
    settled_grade,
    specificity,
    specificity_margins,
)
from fau_lightning.analysis.pipeline import FAUReport, verdict_numbers
from fau_lightning.analysis.probes import NO_EMOTION
from fau_lightning.analysis.sequences import SequenceDesign
from fau_lightning.analysis.settings import AlignmentSettings
from fau_lightning.analysis.statistics import (
    LayerScores,
    align,
    graded,
    summary_numbers,
    verdict_from_record,
    whole_maps,
)
from fau_lightning.errors import InputError
from tests.analysis.test_statistics import _design, _scores_with_planted_filter, _two_regions, make_probe


def _noisy(labels: np.ndarray, people: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A score that follows the label through noise, and each image's person (10 images a person)."""
    return labels + rng.normal(0, 1.0, labels.shape), np.repeat(np.arange(people), 10)


def test_the_interval_over_people_holds_the_estimate_and_narrows_with_more_people() -> None:
    rng = np.random.default_rng(0)
    widths = []
    for people in (20, 320):
        labels = (rng.random((people * 10, 1)) < 0.4).astype(float)
        scores, person = _noisy(labels, people, rng)
        strata = np.zeros(len(scores), np.int64)
        (low, high), point = (
            person_intervals(scores, labels, strata, person, 200)[0],
            stratified_auroc(scores, labels)[0],
        )
        assert low < point < high
        widths.append(high - low)
    assert widths[1] < widths[0] / 2  # 16 times the people: about a quarter of the width


def test_resampling_people_not_images_widens_the_interval_when_a_persons_images_agree() -> None:
    """Each person's ten images share one label and one score: the evidence is 30 people, not 300 images."""
    rng = np.random.default_rng(1)
    person_label = (rng.random(30) < 0.5).astype(float)
    person_score = person_label + rng.normal(0, 1.2, 30)
    labels, scores = np.repeat(person_label, 10)[:, None], np.repeat(person_score, 10)[:, None]
    strata = np.zeros(300, np.int64)
    by_person = np.diff(person_intervals(scores, labels, strata, np.repeat(np.arange(30), 10), 300)[0])[0]
    by_image = np.diff(person_intervals(scores, labels, strata, np.arange(300), 300)[0])[0]
    assert by_person > 2 * by_image


def test_grades_follow_the_thresholds() -> None:
    assert [grade(a, strong=0.75, clear=0.64) for a in (0.80, 0.75, 0.70, 0.64, 0.60)] == [
        "strong", "strong", "clear", "clear", "weak",
    ]  # fmt: skip


def test_a_settled_grade_is_one_band_only_when_the_interval_lies_in_it() -> None:
    settle = [
        settled_grade(point, interval, strong=0.75, clear=0.64)
        for point, interval in [
            (0.80, (0.76, 0.84)),
            (0.76, (0.71, 0.79)),
            (0.70, (0.62, 0.79)),
            (0.70, (0.65, 0.72)),
            (0.66, (0.62, 0.70)),
            (0.60, (0.55, 0.63)),
            (0.70, (float("nan"), float("nan"))),
        ]
    ]
    assert settle == ["strong", "clear or strong", "weak to strong", "clear", "weak or clear", "weak", "clear"]


def test_the_grade_thresholds_are_the_positive_controls_median_and_weakest_recovered_unit() -> None:
    within = np.array([0.642, 0.9, 0.7517, 0.56, 0.8, 0.70])
    strong, clear = grade_thresholds(within, np.array([True, True, True, False, True, True]))
    assert (strong, clear) == (0.75, 0.64)  # the unrecovered AU at 0.56 does not set "clear"
    assert grade(0.7517, strong, clear) == "strong" and grade(0.642, strong, clear) == "clear"


def test_specificity_names_the_au_a_unit_answers_more_than_its_own() -> None:
    rng = np.random.default_rng(2)
    au_sets = rng.random((300, 3)) < 0.3  # every sequence unlabelled: AUs drawn independently
    design = SequenceDesign.of(make_probe(au_sets, np.full(300, NO_EMOTION)))
    labels = design.labels.astype(float)
    scores = np.stack([labels[:, 0] + labels[:, 2] * 2, labels[:, 1]], axis=1) + rng.normal(0, 0.3, (len(labels), 2))
    answers = specificity(scores, design, np.array([0, 1, 2]))
    assert answers.shape == (2, 3)
    assert answers[0, 2] > answers[0, 0] > 0.5 > abs(answers[0, 1] - 0.5)  # AU 1's unit answers AU 3 more
    assert answers[1, 1] > max(answers[1, 0], answers[1, 2])
    margins = specificity_margins(scores, design, np.array([0, 1, 2]), resamples=200)
    assert margins[0, 1] < 0 < margins[1, 0]  # AU 1's unit answers AU 3 more; AU 2's unit is specific
    assert margins[0, 0] <= answers[0, 0] - answers[0, 2] <= margins[0, 1]
    even = np.stack([labels[:, 0] + labels[:, 2], labels[:, 1]], axis=1) + rng.normal(0, 0.3, (len(labels), 2))
    assert specificity_margins(even, design, np.array([0, 1, 2]), resamples=200)[0, 0] < 0  # AU 1 ~ AU 3
    assert specificity_margins(even, design, np.array([0, 1, 2]), resamples=200)[0, 1] > 0


def test_whole_maps_take_each_filters_largest_cell_and_where_it_came_from() -> None:
    values = np.array([[1.0, 5.0, 2.0, 0.0, 7.0, 1.0, 1.0, 1.0]])  # two filters of four cells
    regions = np.array([[0, 1, 2, 3, 2, 0, 0, 0]])
    whole = whole_maps(LayerScores(values, regions, cells=2))
    assert whole.cells == 1 and whole.values.tolist() == [[5.0, 7.0]] and whole.regions.tolist() == [[1, 2]]
    assert whole_maps(whole) is whole


def test_the_verdict_carries_intervals_grade_and_specificity() -> None:
    rng = np.random.default_rng(4)
    selection, evidence = _design(rng, 80), _design(rng, 40)
    sel, ev = (_scores_with_planted_filter(d.labels, 0, rng) for d in (selection, evidence))
    regions = _two_regions(len(ev), ev.shape[1], looking={5: "brows"})
    controls = [np.array([0.6, 0.6]), np.array([0.62, 0.58]), np.array([0.58, 0.63])]
    settings = AlignmentSettings(shuffles=200, min_sequences=5, resamples=100)
    au1, au2 = align(
        [1, 2], LayerScores(sel), selection, LayerScores(ev, regions[1]), evidence, *regions[:1], controls, settings
    )
    assert au1.recovered and au1.grade == "strong" and au2.grade == ""
    assert au1.auroc_interval[0] <= au1.auroc <= au1.auroc_interval[1]
    assert au1.within_interval[0] <= au1.within_auroc <= au1.within_interval[1]
    assert au1.specific and au1.rival == 2 and au1.specific_auroc > au1.rival_auroc


def _judged(rng: np.random.Generator, au2_in_unit: float) -> tuple[list, AlignmentSettings]:
    """AUs 1 and 2 judged with unit 5 planted for AU 1 (looking at the brows, AU 1's region) plus
    `au2_in_unit` times AU 2; AU 2's region is the mouth.
    """
    selection, evidence = _design(rng, 80), _design(rng, 120)
    sel, ev = (
        _scores_with_planted_filter(d.labels, 0, rng) + au2_in_unit * np.eye(16)[5] * d.labels[:, 1:2]
        for d in (selection, evidence)
    )
    regions = _two_regions(len(ev), ev.shape[1], looking={5: "brows"})
    controls = [np.array([0.6, 0.6]), np.array([0.62, 0.58]), np.array([0.58, 0.63])]
    settings = AlignmentSettings(shuffles=200, min_sequences=5, resamples=100)
    judged = align(
        [1, 2], LayerScores(sel), selection, LayerScores(ev, regions[1]), evidence, regions[0], controls, settings
    )
    return judged, settings


def test_a_unit_that_answers_another_au_more_is_recovered_but_no_detector_and_not_graded() -> None:
    """Unit 5 sums AU 1 and, more strongly, AU 2: it passes AU 1's four tests, but where the AUs come
    independently it answers AU 2 more.
    """
    (au1, _), _ = _judged(np.random.default_rng(4), au2_in_unit=5.0)
    assert au1.best_unit == 5 and au1.recovered and au1.rival == 2 and au1.rival_auroc > au1.specific_auroc
    assert au1.responds_to_other and not au1.detector and au1.grade == ""
    assert au1.outcome == "responds, but to AU 2 more"
    numbers = summary_numbers([au1])
    assert numbers["fau/specific_detectors"] == 0 and numbers["fau/responds_to_other_aus"] == 1
    assert numbers["fau/recovered_aus"] == 1


def test_a_recovered_au_whose_specificity_cannot_be_measured_is_graded_and_said_so() -> None:
    (au1, _), _ = _judged(np.random.default_rng(4), au2_in_unit=0.0)
    unknown = replace(au1, specific_auroc=float("nan"), rival=-1, rival_auroc=float("nan"))
    assert au1.detector and au1.outcome == "specific detector, strong"
    assert not unknown.specificity_known and not unknown.detector and not unknown.responds_to_other
    assert unknown.outcome == "recovered, strong (specificity unknown)"
    close = graded(replace(au1, rival=2, specific_margin=(-0.02, 0.03)), AlignmentSettings())
    assert close.specificity_unsettled and not close.detector and not close.responds_to_other and close.grade == ""
    assert close.outcome == "recovered, not shown specific (AU 2 about as much)"


def test_a_verdict_read_back_from_report_json_is_the_verdict_and_an_older_grade_is_redone() -> None:
    judged, settings = _judged(np.random.default_rng(4), au2_in_unit=5.0)
    report = FAUReport(judged, [], np.zeros((16, 2)), [1, 2], 3, "32", 2, (), 40, 40, 160, 320)
    records = json.loads(json.dumps(verdict_numbers(report, settings)))["alignments"]
    for verdict, record in zip(judged, records, strict=True):
        assert json.dumps(asdict(verdict_from_record(record, settings))) == json.dumps(asdict(verdict))
    older = {**records[0], "grade": "strong"}  # an earlier version graded every recovered AU
    assert judged[0].responds_to_other and verdict_from_record(older, settings).grade == ""
    before_margins = {k: v for k, v in records[0].items() if k != "specific_margin"}
    with pytest.raises(InputError, match="written before specific_margin existed"):
        verdict_from_record(before_margins, settings)
