"""Import Keras-2 semantics: tf-keras on TF >= 2.16, tf.keras on older TF (the legacy 3.9 env).

Keras 3 cannot read GATK's Keras-2 HD5 files, so Keras 3 is never used here.
"""

from __future__ import annotations

import os
from typing import Any


def keras() -> Any:
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tf_keras

        return tf_keras
    except ImportError:
        import tensorflow as tf

        return tf.keras
