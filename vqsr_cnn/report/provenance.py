"""Where a score came from: model files (with sha256), backend, precision, tensor type, versions, time.

`vqsr-cnn score --metrics-json` writes one of these per scoring job (with its timings); `vqsr-cnn diff`
embeds them, with its own, in report.json so a report can be traced to the exact models and engines.
"""

from __future__ import annotations

import datetime
import json
import platform
import sys
from pathlib import Path
from typing import Any

from .. import __version__
from ..digests import sha256_file
from ..errors import InputError

SCHEMA_VERSION = 3  # report.json layout; 2 added provenance, resource tranches, FILTER and per-type deltas; 3 the
# FILTER changes at GATK's default tranches (gatk_default_filter_changes) and requested vs executed precision
DISTRIBUTION = "vqsr-cnn-openvino"


def sha256(path: str | Path) -> str | None:
    p = Path(path)
    if not p.is_file():
        return None
    return sha256_file(p)


def utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def engine_versions() -> dict[str, str | None]:
    """Versions of the engines this process loaded (never imports one just to ask)."""
    out: dict[str, str | None] = {}
    for name in ("openvino", "tensorflow", "openvino_tensorflow", "numpy", "pysam"):
        module = sys.modules.get(name)
        if module is not None:
            out[name] = str(getattr(module, "__version__", None) or getattr(module, "get_version", lambda: None)())
    return out


def software() -> dict[str, Any]:
    return {"package": DISTRIBUTION, "vqsr_cnn": __version__, "python": platform.python_version(), "engines": engine_versions()}


def scoring_provenance(summary: Any, command_seconds: float) -> dict:
    """The metrics JSON of one `vqsr-cnn score` run (summary: pipeline.ScoreSummary, with the ModelSpec it ran)."""
    spec = summary.model
    architecture = spec.json_path or ""
    return {
        "kind": "vqsr-cnn score",
        "time": utc_now(),
        "tensor_type": str(spec.tensor_type),
        "info_key": summary.info_key,
        "backend": summary.backend,
        "precision": summary.precision,
        "model": {
            "architecture": str(architecture),
            "architecture_sha256": sha256(architecture) if architecture else None,
            "weights": spec.hd5_path,
            "weights_sha256": spec.hd5_sha256,  # of the bytes the model was loaded from, not re-read
        },
        "records": summary.records,
        "scored": summary.scored,
        "setup_seconds": round(float(summary.extra.get("setup_seconds", 0.0)), 3),
        "scoring_seconds": round(summary.seconds, 3),
        "command_seconds": round(command_seconds, 3),
        "software": software(),
    }


def read_provenance(path: str | None) -> dict | None:
    """A metrics JSON written by `vqsr-cnn score --metrics-json`; ValueError naming the file if unreadable."""
    if not path:
        return None
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read as a vqsr-cnn score metrics JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("kind") != "vqsr-cnn score":
        raise InputError(f"{path}: not a metrics JSON of vqsr-cnn score (written by score --metrics-json)")
    return data


def write_json_atomic(path: str | Path, data: dict) -> None:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(p)
