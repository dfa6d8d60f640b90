"""`vqsr-cnn freeze`: export a GATK model as the frozen graph the engine runs (TF GraphDef + OpenVINO IR).

Handy to inspect what runs (e.g. in Netron) or to serve the model elsewhere; scoring never needs these files.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..defines import TensorType
from . import add_tensor_type, add_trust_model_code


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("freeze", help="export the frozen graph (GraphDef .pb) and OpenVINO IR of a GATK model")
    p.add_argument("--architecture", help="GATK architecture JSON (default: the bundled model of --tensor-type)")
    p.add_argument("--weights", help="Keras-2 .hd5 weights (default: the one the JSON names)")
    add_tensor_type(p, default=TensorType.READ_TENSOR)
    p.add_argument("-O", "--output-dir", required=True, help="directory for frozen.pb, model.xml and model.bin")
    add_trust_model_code(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..engine.convert import openvino_model
    from ..engine.freeze import freeze
    from ..models.allowlist import trust_requested
    from ..models.bundled import default_model_paths
    from ..models.gatk_format import load_model_pair
    from ..runtimes import import_openvino

    json_path, hd5_path = (
        (args.architecture, args.weights)
        if args.architecture or args.weights
        else (tuple(map(str, default_model_paths(args.tensor_type))))
    )
    _, model = load_model_pair(json_path, hd5_path, args.tensor_type, trust_requested(os.environ))
    frozen = freeze(model)
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "frozen.pb").write_bytes(frozen.graph_def.SerializeToString())
    ov = import_openvino()

    ov.save_model(openvino_model(frozen), str(out / "model.xml"), compress_to_fp16=False)
    print(f"wrote {out / 'frozen.pb'} and {out / 'model.xml'} (inputs {', '.join(frozen.input_names)})")
    return 0
