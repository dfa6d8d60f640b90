"""OpenVINO settings measured side by side: LATENCY (one request, all threads) vs THROUGHPUT
(several streams, each a request on a slice of the batch), with and without CPU pinning."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..logs import import_openvino


class OVRunner:
    """Run all rows through one compiled static-shape model; `jobs` requests in flight at once."""

    def __init__(
        self,
        ov_model: Any,
        batch: int,
        hint: str,
        precision: str,
        threads: int,
        pinning: bool | None = None,
        streams: int | None = None,
    ) -> None:
        ov = import_openvino()  # lazy: only --tuning builds these rows (OpenVINO costs ~1 s to import)

        config: dict[str, Any] = {"PERFORMANCE_HINT": hint, "INFERENCE_PRECISION_HINT": "bf16" if precision == "bf16" else "f32"}
        if threads > 0:
            config["INFERENCE_NUM_THREADS"] = threads
        if pinning is not None:
            config["ENABLE_CPU_PINNING"] = pinning
        if streams is not None:
            config["NUM_STREAMS"] = streams
        probe = ov.Core().compile_model(ov_model.clone(), "CPU", config) if hint == "THROUGHPUT" else None
        self.jobs = int(probe.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")) if probe is not None else 1
        del probe
        self.batch = max(1, batch // self.jobs)  # each stream takes a slice of the batch
        model = ov_model.clone()
        shapes = [
            [self.batch, *p.get_partial_shape().to_shape()[1:]]
            if p.get_partial_shape().is_static
            else [self.batch, *[d.get_length() for d in list(p.get_partial_shape())[1:]]]
            for p in model.inputs
        ]
        model.reshape({p.get_any_name(): s for p, s in zip(model.inputs, shapes)})
        self.compiled = ov.Core().compile_model(model, "CPU", config)
        self.queue = ov.AsyncInferQueue(self.compiled, self.jobs)
        self.queue.set_callback(self._done)
        self._out: np.ndarray | None = None
        self.label = f"{hint.lower()}{'' if pinning is None else (' pinned' if pinning else ' unpinned')}, {self.jobs} stream(s)"

    def _done(self, request: Any, start: int) -> None:
        assert self._out is not None
        rows = min(self.batch, self._out.shape[0] - start)
        self._out[start : start + rows] = request.get_output_tensor(0).data[:rows]

    def __call__(self, tensors: np.ndarray, annotations: np.ndarray) -> np.ndarray:
        n = tensors.shape[0]
        self._out = np.zeros((n, 4), dtype=np.float32)
        for start in range(0, n, self.batch):
            t, a = tensors[start : start + self.batch], annotations[start : start + self.batch]
            if t.shape[0] < self.batch:
                t = np.concatenate([t, np.zeros((self.batch - t.shape[0], *t.shape[1:]), t.dtype)])
                a = np.concatenate([a, np.zeros((self.batch - a.shape[0], *a.shape[1:]), a.dtype)])
            self.queue.start_async([np.ascontiguousarray(t), np.ascontiguousarray(a)], userdata=start)
        self.queue.wait_all()
        return self._out
