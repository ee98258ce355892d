"""`fau-baseline`: the raw-pixel logistic-regression baseline on the same data and split as `fau-train`.

Takes the same configs and overrides, e.g. `fau-baseline --config configs/synthetic.yaml`.
"""

import sys

from fau_lightning.cli.common import exit_on_input_error, show_progress
from fau_lightning.cli.train import build_config
from fau_lightning.evaluation.pixel_baseline import logistic_regression_baseline


def main(args: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if args is None else args)
    show_progress("fau-baseline")
    exit_on_input_error("fau-baseline", lambda: _baseline(args))


def _baseline(args: list[str]) -> None:
    cli = build_config(args)
    datamodule = cli.datamodule
    datamodule.prepare_data()
    datamodule.setup()
    splits = {name: (ds.images, ds.targets) for name, ds in datamodule.datasets.items()}
    result = logistic_regression_baseline(splits["train"], splits["val"], splits["test"], datamodule.num_classes)
    sizes = ", ".join(f"{name} {len(ds)}" for name, ds in datamodule.datasets.items())
    print(f"raw-pixel logistic regression ({sizes} images; L2 {result.l2:g} chosen on validation)")
    print(f"baseline test accuracy ({datamodule.test_split_name}): {result.test_accuracy:.4f}")


if __name__ == "__main__":
    main()
