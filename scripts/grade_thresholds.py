"""Print the grade thresholds (strong, clear) that a positive control gives: the median and the weakest
within-emotion AUROC of the best units of the AUs it recovers, read from the report its training run
wrote (docs/fau_alignment.md, "How large, how specific, which unit").

python scripts/grade_thresholds.py runs/fau_96 au    # the training in runs/fau_96/au/
"""

import sys
from pathlib import Path

import numpy as np
from fau_seeds_summary import load

from fau_lightning.analysis.effect_sizes import grade_thresholds

if __name__ == "__main__":
    fau, _ = load(Path(sys.argv[1]), sys.argv[2])
    alignments = fau["alignments"]
    strong, clear = grade_thresholds(
        np.array([a["within_auroc"] for a in alignments]), np.array([a["recovered"] for a in alignments])
    )
    print(f"{strong:.2f} {clear:.2f}")
