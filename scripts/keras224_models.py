#!/usr/bin/env python
"""Rewrite .hd5 models in place so GATK's Keras 2.2.4 (and TF 2.9's Keras) can load them; weights untouched.

With no arguments: the shipped models (vqsr_cnn/models/bundled/*.hd5 and testdata/models/*.hd5).
Each file is checked before it replaces the original: every weight array is byte-identical and tf-keras
predictions on the same random inputs are bit-identical.

    .venv/bin/python scripts/keras224_models.py [FILE.hd5 ...]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from vqsr_cnn.models.gatk_format import load_keras_model
from vqsr_cnn.models.keras224 import convert_hdf5

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "vqsr_cnn" / "models" / "bundled").glob("*.hd5")) + sorted((ROOT / "testdata" / "models").glob("*.hd5"))


def convert_checked(path: Path) -> str:
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        new = Path(tmp) / path.name
        shutil.copyfile(path, new)
        convert_hdf5(new)
        before, after = load_keras_model(path), load_keras_model(new)
        rng = np.random.default_rng(0)
        inputs = [rng.random((4, *(int(d) for d in t.shape[1:])), dtype=np.float32) for t in before.inputs]
        same_weights = all(np.array_equal(a, b) for a, b in zip(before.get_weights(), after.get_weights()))
        same_scores = np.array_equal(before.predict(inputs, verbose=0), after.predict(inputs, verbose=0))
        if not (same_weights and same_scores):
            raise SystemExit(f"{path}: conversion changed weights ({not same_weights}) or predictions ({not same_scores})")
        new.replace(path)
    return f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: rewritten, weights and predictions identical"


def main(argv: list[str]) -> int:
    for path in [Path(a).resolve() for a in argv] or SHIPPED:
        print(convert_checked(path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
