"""Runs INSIDE the GATK 4.2 environment (Python 3.6, Keras 2.2.4, GATK 4.2.6.1's own vqsr_cnn): loads and
writes models with GATK's real code for tests/test_gatk42_models.py. Python 3.6 syntax only.

    python gatk42_probe.py REQUEST.json   ->  prints one JSON result line
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def first_line(exc):
    text = f"{type(exc).__name__}: {exc}"
    return text.splitlines()[0]


def main(request_path):
    import keras
    import numpy as np
    from vqsr_cnn.vqsr_cnn import arguments, models

    with open(request_path) as fh:
        request = json.load(fh)
    result = {"keras": keras.__version__, "predict": [], "write": [], "load": []}
    for job in request.get("predict", []):
        # GATK's own entry point, as CNNScoreVariants calls it (from `python -i`, so argv is just ['']).
        sys.argv = [""]
        _, model = models.start_session_get_args_and_model(1, 1, job["json"], weights_hd5=job["hd5"])
        data = np.load(job["inputs"])
        np.save(job["out"], model.predict([data["tensor"], data["annotations"]]))
        result["predict"].append(job["out"])
    for job in request.get("write", []):
        sys.argv = [
            "gatk",
            "--tensor_name",
            job["tensor_name"],
            "--annotation_set",
            "best_practices",
            "--weights_hd5",
            os.path.join(os.path.dirname(job["out"]), "absent.hd5"),
            "--id",
            "gatk42",
        ]
        args = arguments.parse_args()
        build = (
            models.build_default_1d_annotation_model
            if job["tensor_name"] == "reference"
            else models.build_default_2d_annotation_model
        )
        model = build(args)  # compiled with GATK's custom metrics, as GATK's training saves it
        model.save(job["out"])
        data = np.load(job["inputs"])
        np.save(job["predictions"], model.predict([data["tensor"], data["annotations"]]))
        result["write"].append(job["out"])
    for path in request.get("load", []):
        try:
            keras.models.load_model(path, custom_objects=models.get_metric_dict())
            result["load"].append("ok")
        except Exception as exc:  # the message is the result
            result["load"].append(first_line(exc))
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])
