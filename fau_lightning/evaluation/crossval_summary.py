"""Tables from the splits of a cross-validation, one kind per task: per-split figures, mean ± std over
splits, per class or per AU. Each summary writes its own Markdown and CSV and names its W&B scalars.
"""

from dataclasses import dataclass

import numpy as np


def _mean_std(values: np.ndarray) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof = 1, as papers report it) over splits, NaNs left out."""
    kept = values[~np.isnan(values)]
    if not len(kept):
        return float("nan"), float("nan")
    return float(kept.mean()), float(kept.std(ddof=1)) if len(kept) > 1 else 0.0


def _percent(value: float) -> str:
    return "–" if np.isnan(value) else f"{100 * value:.1f}"


@dataclass(frozen=True)
class SplitResult:
    """One classification split's test figures."""

    split: int
    accuracy: float
    macro_accuracy: float
    confusion: np.ndarray  # (C, C) counts, rows = true class
    class_names: list[str]


@dataclass(frozen=True)
class CrossvalSummary:
    """Expression classification over splits."""

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

    def split_table(self) -> tuple[list[str], list[list]]:
        """Columns and rows of the per-split table."""
        return ["split", "accuracy", "macro_accuracy"], [[r.split, r.accuracy, r.macro_accuracy] for r in self.splits]

    def scalars(self) -> dict[str, float]:
        per_class = {f"crossval/acc_class/{n}": float(a) for n, a in zip(self.class_names, self.per_class, strict=True)}
        headline = {"crossval/acc_mean": self.mean, "crossval/acc_std": self.std}
        return {**headline, "crossval/acc_pooled": self.pooled_accuracy, **per_class}

    def to_csv(self) -> str:
        lines = ["split,accuracy,macro_accuracy"]
        lines += [f"{r.split},{r.accuracy:.4f},{r.macro_accuracy:.4f}" for r in self.splits]
        lines += [f"mean,{self.mean:.4f},", f"std,{self.std:.4f},", f"pooled,{self.pooled_accuracy:.4f},"]
        lines += ["", "class,accuracy,test_images"]
        lines += [
            f"{n},{a:.4f},{int(c)}"
            for n, a, c in zip(self.class_names, self.per_class, self.confusion.sum(axis=1), strict=True)
        ]
        lines += ["", "true \\ predicted," + ",".join(self.class_names)]
        rows = zip(self.class_names, self.confusion, strict=True)
        lines += [f"{n}," + ",".join(str(int(v)) for v in row) for n, row in rows]
        return "\n".join(lines) + "\n"

    def to_markdown(self, title: str = "") -> str:
        out = [f"### {title}", ""] if title else []
        out += [
            f"**Test accuracy over {len(self.splits)} splits: {100 * self.mean:.1f} ± {100 * self.std:.1f} %** "
            f"(mean ± sample std; pooled over all test images: {100 * self.pooled_accuracy:.1f} %)",
            "",
            "| split | " + " | ".join(str(r.split) for r in self.splits) + " |",
            "|---|" + "---|" * len(self.splits),
            "| accuracy (%) | " + " | ".join(f"{100 * r.accuracy:.1f}" for r in self.splits) + " |",
            "",
            "| class | " + " | ".join(self.class_names) + " |",
            "|---|" + "---|" * len(self.class_names),
            "| accuracy (%) | " + " | ".join(_percent(a) for a in self.per_class) + " |",
            "",
            "Confusion matrix summed over the splits (rows: true class, columns: predicted):",
            "",
            "| | " + " | ".join(self.class_names) + " |",
            "|---|" + "---|" * len(self.class_names),
        ]
        out += [
            f"| **{n}** | " + " | ".join(str(int(v)) for v in row) + " |"
            for n, row in zip(self.class_names, self.confusion, strict=True)
        ]
        return "\n".join(out) + "\n"


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
    mean, std = _mean_std(accuracies)
    return CrossvalSummary(
        splits=sorted(results, key=lambda r: r.split),
        mean=mean,
        std=std,
        confusion=confusion,
        per_class=per_class,
        class_names=names,
    )


@dataclass(frozen=True)
class AUSummary:
    """AU detection over splits: per AU, its test AUROC and F1 in each split (NaN: the AU had no
    positives or no negatives in that split's test set), and their mean ± std over the splits that have them.
    """

    splits: list[int]
    aus: list[str]
    auroc: np.ndarray  # (splits, AUs)
    f1: np.ndarray  # (splits, AUs)
    mean_auroc: np.ndarray  # (splits,) each split's mean over its AUs (its test/auroc)
    mean_f1: np.ndarray  # (splits,)
    confusion = None  # multi-label: no confusion matrix

    def per_au(self, metric: str) -> list[tuple[float, float]]:
        """Mean and sample std over splits of "auroc" or "f1", per AU."""
        values = getattr(self, metric)
        return [_mean_std(values[:, a]) for a in range(len(self.aus))]

    def split_table(self) -> tuple[list[str], list[list]]:
        rows = [[s, float(a), float(f)] for s, a, f in zip(self.splits, self.mean_auroc, self.mean_f1, strict=True)]
        return ["split", "mean_auroc", "mean_f1"], rows

    def scalars(self) -> dict[str, float]:
        (auroc, auroc_std), (f1, f1_std) = _mean_std(self.mean_auroc), _mean_std(self.mean_f1)
        out = {"crossval/auroc_mean": auroc, "crossval/auroc_std": auroc_std, "crossval/f1_mean": f1}
        out["crossval/f1_std"] = f1_std
        for metric in ("auroc", "f1"):
            out |= {f"crossval/{metric}_au/{au}": m for au, (m, _) in zip(self.aus, self.per_au(metric), strict=True)}
        return out

    def to_csv(self) -> str:
        columns, rows = self.split_table()
        lines = [",".join(columns)] + [f"{s},{a:.4f},{f:.4f}" for s, a, f in rows]
        lines += ["", "au,auroc_mean,auroc_std,f1_mean,f1_std,splits_with_auroc"]
        for a, au in enumerate(self.aus):
            (am, asd), (fm, fsd) = self.per_au("auroc")[a], self.per_au("f1")[a]
            lines.append(f"{au},{am:.4f},{asd:.4f},{fm:.4f},{fsd:.4f},{int((~np.isnan(self.auroc[:, a])).sum())}")
        return "\n".join(lines) + "\n"

    def to_markdown(self, title: str = "") -> str:
        (auroc, auroc_std), (f1, f1_std) = _mean_std(self.mean_auroc), _mean_std(self.mean_f1)
        out = [f"### {title}", ""] if title else []
        out += [
            f"**Test mean AUROC over AUs, {len(self.splits)} splits: {auroc:.3f} ± {auroc_std:.3f}**; "
            f"mean F1 {f1:.3f} ± {f1_std:.3f} (mean ± sample std over splits)",
            "",
            "| split | " + " | ".join(str(s) for s in self.splits) + " |",
            "|---|" + "---|" * len(self.splits),
            "| mean AUROC | " + " | ".join(f"{v:.3f}" for v in self.mean_auroc) + " |",
            "| mean F1 | " + " | ".join(f"{v:.3f}" for v in self.mean_f1) + " |",
            "",
            "| AU | AUROC (mean ± std) | F1 (mean ± std) | splits with both classes |",
            "|---|---|---|---|",
        ]
        for a, au in enumerate(self.aus):
            (am, asd), (fm, fsd) = self.per_au("auroc")[a], self.per_au("f1")[a]
            seen = int((~np.isnan(self.auroc[:, a])).sum())
            out.append(f"| {au} | {am:.3f} ± {asd:.3f} | {fm:.3f} ± {fsd:.3f} | {seen} of {len(self.splits)} |")
        return "\n".join(out) + "\n"


def summarize_aus(records: dict[int, dict]) -> AUSummary:
    """An AU detector's splits from their result records (split -> record with metrics and class names)."""
    if not records:
        raise ValueError("no finished split to summarise")
    splits = sorted(records)
    aus = records[splits[0]]["class_names"]
    if any(records[s]["class_names"] != aus for s in splits):
        raise ValueError("splits disagree on the AUs; were they run with different configs?")

    def grid(metric: str) -> np.ndarray:
        return np.array([[records[s]["metrics"].get(f"test/{metric}_au/{au}", np.nan) for au in aus] for s in splits])

    means = {m: np.array([records[s]["metrics"].get(f"test/{m}", np.nan) for s in splits]) for m in ("auroc", "f1")}
    return AUSummary(
        splits=splits,
        aus=list(aus),
        auroc=grid("auroc"),
        f1=grid("f1"),
        mean_auroc=means["auroc"],
        mean_f1=means["f1"],
    )
