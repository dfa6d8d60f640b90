"""Write seeded-weight GATK-format models of both default architectures (test fixtures only).

Usage: python scripts/make_seeded_models.py OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

from vqsr_cnn import defines
from vqsr_cnn.models.architectures import build_default_1d_annotation_model, build_default_2d_annotation_model
from vqsr_cnn.models.gatk_format import save_model_pair, semantics_for


def main(out: str) -> None:
    names = defines.ANNOTATIONS_SETS["best_practices"]
    m1 = build_default_1d_annotation_model(seed=7)
    save_model_pair(m1, Path(out) / "seeded_1d", semantics_for(m1, "reference", "best_practices", names, "seeded_1d"))
    m2 = build_default_2d_annotation_model(seed=7)
    save_model_pair(m2, Path(out) / "seeded_2d", semantics_for(m2, "read_tensor", "best_practices", names, "seeded_2d"))


if __name__ == "__main__":
    main(sys.argv[1])
