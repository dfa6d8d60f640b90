"""The bench's limits, row names and machine record: which probes a CPU gets, how a precision's limit is resolved
(never below a row that ran faster, so `% limit` <= 100), what exact-rows rows are held to, how rows are named
after what ran, and what every run records about the machine. No timing is asserted: benches are not unit tests."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from vqsr_cnn.bench import machine
from vqsr_cnn.bench.limits import resolve_limits
from vqsr_cnn.bench.probes import heaviest_conv, plan
from vqsr_cnn.bench.report import format_table, summarise
from vqsr_cnn.bench.stage_rows import engine_label
from vqsr_cnn.bench.timing import Row
from vqsr_cnn.engine.cpu import FLAGS_THAT_MATTER, CpuInfo, cpu_info

AMX = CpuInfo("Xeon AMX", ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_int8"), ("BF16", "FP32", "INT8"), "openvino")
AVX2 = CpuInfo("EPYC AVX2", ("avx2",), ("FP32", "INT8"), "openvino")
GIGA = 1e9


def probe(precision: str, gflops: float, name: str = "") -> Row:
    """A limit row that did `gflops` GFLOP in its one timed second."""
    return Row(
        name or f"probe {precision} {gflops}", "limit", lambda: None, precision=precision, flops=gflops * GIGA, times=[1.0]
    )


def engine(name: str, precision: str, variants_per_s: float, flops_per_variant: float, kind: str = "engine") -> Row:
    return Row(
        name, kind, lambda: None, 100, precision=precision, flops_per_variant=flops_per_variant, times=[100 / variants_per_s]
    )


class Conv2D:
    """The attributes of a Keras Conv2D layer that FLOP counting and the probes read (no TensorFlow needed)."""

    def __init__(self, name: str, input_shape: tuple[int, int, int], taps: tuple[int, int], filters: int) -> None:
        self.name, self.filters, self.strides, self.data_format = name, filters, (1, 1), "channels_last"
        out = (input_shape[0] - taps[0] + 1, input_shape[1] - taps[1] + 1, filters)
        self.input = SimpleNamespace(shape=(None, *input_shape))
        self.output = SimpleNamespace(shape=(None, *out))
        self.kernel = SimpleNamespace(shape=(*taps, input_shape[2], filters))


@pytest.fixture(scope="module")
def gatk_2d() -> SimpleNamespace:
    """GATK's small_2d convolutions (tests/test_bench.py counts the real architecture's FLOPs)."""
    return SimpleNamespace(
        layers=[
            Conv2D("conv2d_1", (128, 128, 15), (25, 1), 64),
            Conv2D("conv2d_2", (104, 128, 64), (1, 25), 48),
            Conv2D("conv2d_3", (104, 104, 48), (25, 1), 32),
            Conv2D("conv2d_4", (26, 104, 32), (1, 25), 24),
        ]
    )


def test_each_precision_gets_the_best_of_its_own_probes():
    rows = [probe("fp32", 100), probe("fp32", 200), probe("bf16", 500), probe("int8", 900), engine("e", "fp32", 50, GIGA)]
    limits = resolve_limits(rows)
    assert {p: x.gflops for p, x in limits.items()} == pytest.approx({"fp32": 200, "bf16": 500, "int8": 900})
    assert limits["fp32"].source == "probe fp32 200" and not limits["fp32"].raised_by
    assert len(limits["fp32"].probes) == 2


def test_a_probe_counts_its_fastest_round_and_a_row_its_median():
    """Load only slows a kernel down: the peak is a probe's best round; rows are compared at their median."""
    noisy = Row("probe", "limit", lambda: None, precision="fp32", flops=300 * GIGA, times=[3.0, 1.5, 6.0])
    row = engine("engine", "fp32", 100, GIGA)  # 100 GFLOP/s at its median
    row.times = [0.5, 1.0, 2.0]
    results, limits = summarise([noisy, row], 3 * GIGA)
    assert limits["fp32"].gflops == pytest.approx(200) and not limits["fp32"].raised_by
    assert next(e for e in results if e["name"] == "engine")["pct_of_limit"] == pytest.approx(50)


def test_a_row_faster_than_every_probe_raises_the_limit_and_says_so():
    fast = engine("engine: openvino BF16 dense, micro-batch 16", "bf16", 100, 7 * GIGA)  # 700 GFLOP/s
    rows = [probe("bf16", 500), fast, engine("bridge: openvino BF16 exact rows", "bf16", 300, GIGA, "end-to-end")]
    results, limits = summarise(rows, 3 * GIGA)
    assert limits["bf16"].gflops == pytest.approx(700) and limits["bf16"].raised_by == fast.name
    pct = {e["name"]: e["pct_of_limit"] for e in results if "pct_of_limit" in e}
    assert pct == pytest.approx({fast.name: 100.0, "bridge: openvino BF16 exact rows": 300 / 700 * 100})
    assert "raised: no probe reached a row" in format_table("2D", results, "header", limits, 3 * GIGA)


def test_every_engine_row_is_at_most_100_percent_of_its_limit():
    rows = [probe("fp32", 150), probe("bf16", 400), probe("int8", 800)]
    rows += [engine(f"{p} {v}", p, v, 3 * GIGA) for p in ("fp32", "bf16", "int8") for v in (10, 60, 200, 400)]
    results, _ = summarise(rows, 3 * GIGA)
    assert all(0 < e["pct_of_limit"] <= 100 + 1e-9 for e in results if e["kind"] == "engine")


def test_rows_are_held_to_the_flops_they_execute_and_the_limit_of_what_ran():
    """An exact-rows row computes fewer FLOPs per variant than the dense model: its GF/s and % limit count those,
    not the dense model's (which put exact rows at 230% of the old FP32 limit); INT8 has its own limit."""
    exact = engine("engine: openvino FP32 exact rows", "fp32", 100, 1.1 * GIGA)
    int8 = engine("engine: openvino INT8 exact rows", "int8", 500, 1.1 * GIGA)
    results, limits = summarise([probe("fp32", 220), probe("int8", 1100), exact, int8], 3.0 * GIGA)
    by_name = {e["name"]: e for e in results}
    assert by_name[exact.name]["gflops"] == pytest.approx(110) and by_name[exact.name]["pct_of_limit"] == pytest.approx(50)
    assert by_name[int8.name]["limit_used"] == "int8" and by_name[int8.name]["pct_of_limit"] == pytest.approx(50)
    assert not any(x.raised_by for x in limits.values())


def test_a_cpu_gets_probes_for_the_precisions_it_runs(gatk_2d):
    amx = plan(gatk_2d, 16, AMX)
    assert {p.precision.runs for p in amx} == {"fp32", "bf16", "int8"}
    assert all(sum(p.precision.runs == r for p in amx) == 6 for r in ("fp32", "bf16", "int8"))
    assert {p.hint for p in amx} == {"THROUGHPUT", "LATENCY"}  # as the engine compiles, and on all threads
    avx2 = plan(gatk_2d, 16, AVX2)
    assert {p.precision.runs for p in avx2} == {"fp32", "int8"}  # no BF16 kernels: BF16 rows run, and count as, FP32
    assert any("conv2d_2 at batch 16" in p.label for p in avx2)


def test_the_conv_probe_is_shaped_like_the_heaviest_layer_and_counts_its_flops(gatk_2d):
    from vqsr_cnn.bench.flops import layer_macs
    from vqsr_cnn.bench.probes import _conv_stack

    layer = heaviest_conv(gatk_2d)
    assert layer.name == "conv2d_2" and layer_macs(layer) == max(layer_macs(x) for x in gatk_2d.layers)
    model, inputs, flops = _conv_stack(layer, 2, int8=False, depth=2)  # (104, 128, 64), taps 1 x 25, 64 -> 64
    assert inputs.shape == (2, 104, 128, 64)
    assert tuple(model.outputs[0].get_partial_shape().to_shape()) == (2, 104, 80, 64)
    assert flops == 2 * 2 * 104 * (104 + 80) * 64 * 64 * 25


def test_the_model_chain_probe_runs_the_models_own_convolutions(gatk_2d):
    from vqsr_cnn.bench.flops import layer_macs
    from vqsr_cnn.bench.probes import _model_chain, conv_chain

    chain = conv_chain(gatk_2d)
    assert [layer.name for layer in chain] == ["conv2d_1", "conv2d_2", "conv2d_3"]  # the pooling before conv2d_4 ends it
    model, inputs, flops = _model_chain(chain, 3, int8=True)
    assert inputs.shape == (3, 128, 128, 15)
    assert tuple(model.outputs[0].get_partial_shape().to_shape()) == (3, 80, 104, 32)
    assert flops == 2 * 3 * sum(layer_macs(layer) for layer in chain)


def _engine(precision: str, requested: str, exact: bool, micro: int = 16, shape: tuple = (128, 128, 15), name: str = "openvino"):
    floats = " (float layers bf16)" if precision == "int8" else ""
    return SimpleNamespace(
        backend=SimpleNamespace(precision=precision, name=name),
        executed_precision=precision + floats,
        precision=SimpleNamespace(requested=requested),
        exact=object() if exact else None,
        micro_batch=micro,
        frozen=SimpleNamespace(tensor_shape=shape),
    )


def test_rows_are_named_after_what_ran():
    assert engine_label(_engine("bf16", "bf16", True)) == "openvino BF16 exact rows"
    assert engine_label(_engine("int8", "int8", False)) == "openvino INT8 (float layers bf16) dense, micro-batch 16"
    assert engine_label(_engine("fp32", "bf16", True)) == "openvino FP32 (bf16 asked) exact rows"
    assert engine_label(_engine("fp32", "fp32", False, 64, (128, 4))) == "openvino FP32, micro-batch 64"
    assert engine_label(_engine("fp32", "fp32", False, 1, name="tensorflow")) == "tensorflow FP32 dense, 1 row per call"


def test_the_machine_is_recorded_and_printed(monkeypatch):
    monkeypatch.setattr(machine, "cpu_info", lambda: AMX)
    record = machine.machine_record(threads=2)
    assert record["cpu"] == "Xeon AMX" and record["cpu_class"] == "AMX"
    assert record["flags"] == list(AMX.flags) and record["openvino_capabilities"] == ["BF16", "FP32", "INT8"]
    assert record["threads"] == 2 and "loadavg_start" in record
    header = machine.format_machine(record)
    assert header.startswith("machine: Xeon AMX [AMX: avx2 avx512f avx512_bf16 amx_bf16 amx_int8]")
    assert "capabilities BF16,FP32,INT8" in header


def test_this_machine_is_recorded_as_the_engine_sees_it():
    record, cpu = machine.machine_record(threads=1), cpu_info()
    assert record["cpu"] == cpu.model and record["cpu_class"] == cpu.cpu_class
    assert set(record["flags"]) <= set(FLAGS_THAT_MATTER) and record["openvino_capabilities"] == list(cpu.capabilities)
