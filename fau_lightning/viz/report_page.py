"""The report as one HTML page, filled into `templates/report.html`: the verdict first, then the details."""

import html
from importlib.resources import files
from string import Template

from fau_lightning.analysis.pipeline import FAUReport, power_note, verdict_sentence
from fau_lightning.viz.alignment_table import html_table, outcome_class


def _image(files_by_key: dict[str, str], key: str) -> str:
    return f"<img src='{files_by_key[key]}' alt='{key}'>" if key in files_by_key else ""


def _summary(numbers: dict, fau: FAUReport | None) -> str:
    """The verdict's sentence, each AU as a chip coloured by outcome, the evidence and the controls."""
    fau_numbers = numbers["fau"]
    if fau is None:
        return f"<div class='summary'><p>No FAU verdict: {html.escape(fau_numbers['skipped'])}.</p></div>"
    chips = "".join(
        f"<span class='chip {outcome_class(v)}' title='{html.escape(v.outcome)}'>AU{v.au}</span>" for v in fau.verdicts
    )
    passed = (
        f"above sequence-level chance {int(fau_numbers['fau/above_chance_aus'])}, above {fau.controls} untrained "
        f"networks {int(fau_numbers['fau/above_control_aus'])}, within emotion "
        f"{int(fau_numbers['fau/within_emotion_aus'])}, in the AU's region {int(fau_numbers['fau/region_aus'])}"
    )
    count = f"{int(fau_numbers['fau/specific_detectors'])} of {len(fau.verdicts)}"  # the sentence's first words
    return (
        "<div class='summary'>"
        f"<p><span class='count'>{count}</span>{html.escape(verdict_sentence(fau).removeprefix(count))}.</p>"
        f"<p>{chips}</p>"
        f"<p>Evidence: <b>{fau.evidence_people} people</b> the network never trained on "
        f"({fau.evidence_sequences} sequences, {fau.evidence_images} images); best units chosen on "
        f"{fau.selection_images} images of the training subjects. Tests passed: {passed}.</p>"
        + (f"<p><b>Power:</b> {html.escape(power_note(fau))}.</p>" if power_note(fau) else "")
        + "<p>Green: a specific detector (all four tests passed, and its unit answers this AU more than any "
        "other where AUs come independently, beyond the resampling of people; hover for its grade, strong, clear "
        "or weak by its within-emotion AUROC against thresholds taken from a network trained on the AUs, or the "
        "grades its interval spans); olive: all four tests passed, another AU answered about as much; amber: all "
        "four tests passed, but the unit answers another AU more (hover for which); grey: failed (hover for the "
        "tests it failed).</p></div>"
    )


def _metric_rows(metrics: dict[str, float]) -> str:
    return "".join(f"<tr><td class='text'>{html.escape(k)}</td><td>{v:.4f}</td></tr>" for k, v in metrics.items())


def _test_section(numbers: dict, files_by_key: dict[str, str]) -> str:
    """The test figures of the checkpoint (headline metrics, the rest folded away) and its confusion matrix."""
    test = numbers.get("test")
    if not test:
        return "<p>Not tested.</p>"
    headline = {k: v for k, v in test["metrics"].items() if k.count("/") == 1}
    detail = {k: v for k, v in test["metrics"].items() if k.count("/") > 1}
    more = f"<details><summary>per class</summary><table>{_metric_rows(detail)}</table></details>" if detail else ""
    return (
        f"<p>{html.escape(test['split'])}, {html.escape(test['weights'])}.</p>"
        f"<table class='test'>{_metric_rows(headline)}</table>{more}{_image(files_by_key, 'confusion')}"
    )


def _training_section(numbers: dict, files_by_key: dict[str, str]) -> str:
    history = numbers.get("history") or []
    if not history:
        return "<p>The checkpoint holds no training history.</p>"
    return (
        f"<figure>{_image(files_by_key, 'curves')}<figcaption>Each epoch's mean training loss and validation "
        f"figures, from epoch {history[0]['epoch']} to the checkpoint's epoch {history[-1]['epoch']}; "
        "the checkpoint was chosen on validation, never on the test split.</figcaption></figure>"
    )


def _fau_section(fau: FAUReport | None, files_by_key: dict[str, str]) -> str:
    if fau is None or not fau.verdicts:
        return "<p>No AU could be tested.</p>"
    units = html.escape(", ".join(f"AU{v.au}: {v.unit}" for v in fau.verdicts))
    return (
        "<p>Best units are chosen on the training subjects and judged on held-out people: against chance "
        "from shuffling whole sequences' AU sets, within emotion, against "
        f"{fau.controls} untrained networks, and by where their response comes from (the facial region whose "
        "occlusion lowers it most). Open a row's details for every number.</p>"
        + html_table(fau)
        + f"<figure>{_image(files_by_key, 'fau')}<figcaption>Rows: each AU's best unit, in AU order "
        f"({units}); outlined: the AU it was chosen for.</figcaption></figure>"
        + f"<figure>{_image(files_by_key, 'au_patches')}<figcaption>What each AU's best unit sees in its "
        f"strongest held-out images, one row each: {units}.</figcaption></figure>"
    )


def report_page(numbers: dict, files_by_key: dict[str, str], fau: FAUReport | None) -> str:
    """The page for a report's numbers (report.json's content), its PNG files by figure key, and its verdicts."""
    template = Template(files("fau_lightning.viz").joinpath("templates/report.html").read_text())
    return template.substitute(
        model=html.escape(numbers["checkpoint"]),
        summary=_summary(numbers, fau),
        test=_test_section(numbers, files_by_key),
        training=_training_section(numbers, files_by_key),
        fau=_fau_section(fau, files_by_key),
        layer=html.escape(numbers["filters"]["layer"]),
        selection_images=fau.selection_images if fau is not None else "the training subjects'",
        patches=_image(files_by_key, "patches"),
        filters=html.escape(", ".join(f"f{f}" for f in numbers["filters"]["most_selective"])),
        method=html.escape(numbers["filters"]["method"]),
        projections=_image(files_by_key, "projections"),
        conv1=_image(files_by_key, "conv1"),
    )
