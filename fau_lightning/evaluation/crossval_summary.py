"""One table from the splits of a cross-validation: per-split accuracy, mean ± std, per class, confusion."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SplitResult:
    split: int
    accuracy: float
    macro_accuracy: float
    confusion: np.ndarray  # (C, C) counts, rows = true class
    class_names: list[str]


@dataclass(frozen=True)
class CrossvalSummary:
    splits: list[SplitResult]
    mean: float
    std: float  # sample standard deviation over splits (ddof = 1), as papers report it
    confusion: np.ndarray  # summed over splits
    per_class: np.ndarray  # per-class accuracy (recall) from the summed confusion matrix; NaN: no test image
    class_names: list[str]

    @property
    def pooled_accuracy(self) -> float:
        """Share of all test images classified right, every split together."""
        return float(np.trace(self.confusion) / self.confusion.sum())


def summarize(results: list[SplitResult]) -> CrossvalSummary:
    if not results:
        raise ValueError("no finished split to summarise")
    names = results[0].class_names
    if any(r.class_names != names for r in results):
        raise ValueError("splits disagree on the class names; were they run with different configs?")
    accuracies = np.array([r.accuracy for r in results])
    confusion = np.sum([r.confusion for r in results], axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.diag(confusion) / confusion.sum(axis=1)  # NaN for a class without test images
    std = float(accuracies.std(ddof=1)) if len(results) > 1 else 0.0
    return CrossvalSummary(
        sorted(results, key=lambda r: r.split), float(accuracies.mean()), std, confusion, per_class, names
    )


def to_csv(summary: CrossvalSummary) -> str:
    lines = ["split,accuracy,macro_accuracy"]
    lines += [f"{r.split},{r.accuracy:.4f},{r.macro_accuracy:.4f}" for r in summary.splits]
    lines += [f"mean,{summary.mean:.4f},", f"std,{summary.std:.4f},", f"pooled,{summary.pooled_accuracy:.4f},"]
    lines += ["", "class,accuracy,test_images"]
    lines += [
        f"{n},{a:.4f},{int(c)}"
        for n, a, c in zip(summary.class_names, summary.per_class, summary.confusion.sum(axis=1), strict=True)
    ]
    lines += ["", "true \\ predicted," + ",".join(summary.class_names)]
    lines += [
        f"{n}," + ",".join(str(int(v)) for v in row)
        for n, row in zip(summary.class_names, summary.confusion, strict=True)
    ]
    return "\n".join(lines) + "\n"


def to_markdown(summary: CrossvalSummary, title: str = "") -> str:
    out = [f"### {title}", ""] if title else []
    out += [
        f"**Test accuracy over {len(summary.splits)} splits: {100 * summary.mean:.1f} ± {100 * summary.std:.1f} %** "
        f"(mean ± sample std; pooled over all test images: {100 * summary.pooled_accuracy:.1f} %)",
        "",
        "| split | " + " | ".join(str(r.split) for r in summary.splits) + " |",
        "|---|" + "---|" * len(summary.splits),
        "| accuracy (%) | " + " | ".join(f"{100 * r.accuracy:.1f}" for r in summary.splits) + " |",
        "",
        "| class | " + " | ".join(summary.class_names) + " |",
        "|---|" + "---|" * len(summary.class_names),
        "| accuracy (%) | " + " | ".join("–" if np.isnan(a) else f"{100 * a:.1f}" for a in summary.per_class) + " |",
        "",
        "Confusion matrix summed over the splits (rows: true class, columns: predicted):",
        "",
        "| | " + " | ".join(summary.class_names) + " |",
        "|---|" + "---|" * len(summary.class_names),
    ]
    out += [
        f"| **{n}** | " + " | ".join(str(int(v)) for v in row) + " |"
        for n, row in zip(summary.class_names, summary.confusion, strict=True)
    ]
    return "\n".join(out) + "\n"
