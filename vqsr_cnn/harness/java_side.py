"""Plays CNNScoreVariants.java's side of GATK's Python bridge, for real: `python -u -i`, stdin commands,
an ack FIFO and a data FIFO, every blocking step bounded so a hang fails instead of freezing.

Used by the tests (our bridge), and by `vqsr-cnn bench` and the parity tests to drive GATK 4.2's own
`vqsr_cnn` in its Python 3.6 environment (`gatk42.py`) and the Intel-patch path in the legacy Python 3.9
environment (`legacy_stack.py`), each a `ScoringSession`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Callable

from .interpreters import merged_env


def _bounded(fn: Callable[[], Any], timeout: float, what: str) -> Any:
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # re-raised in the caller
            box["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise TimeoutError(f"Java side blocked for {timeout}s waiting for: {what}")
    if "error" in box:
        raise box["error"]
    return box.get("value")


class JavaSide:
    def __init__(
        self, workdir: Path, env: dict[str, str | None], timeout: float = 240, python: str | os.PathLike | None = None
    ) -> None:
        """`env` overrides the caller's environment; a None value removes that variable. `python` is the
        interpreter Java would find on PATH (default: this one)."""
        self.timeout = timeout
        self.ack_path, self.data_path = workdir / "ack.fifo", workdir / "data.fifo"
        os.mkfifo(self.ack_path)
        os.mkfifo(self.data_path)
        self.log = open(workdir / "python.log", "w+")
        self.proc = subprocess.Popen(
            [str(python or sys.executable), "-u", "-i"],
            stdin=subprocess.PIPE,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            text=True,
            env=merged_env(env),
            cwd=workdir,
        )
        self.ack: Any = None  # text FIFOs, opened by start()
        self.data: Any = None
        self.stdin: Any = self.proc.stdin

    def _send(self, command: str) -> None:
        self.stdin.write(command + "\n")
        self.stdin.flush()

    def read_ack(self) -> str:
        """'ack', or the nack message (from 'nkm' + 4-digit length + text, or a bare 'nck')."""

        def read() -> str:
            head = self.ack.read(3)
            if head == "nkm":
                return "nkm:" + self.ack.read(int(self.ack.read(4)))
            return head

        return _bounded(read, self.timeout, "an ack")

    def command(self, command: str) -> str:
        self._send(command)
        self._send("tool.sendAck()")
        return self.read_ack()

    def start(self) -> None:
        self._send("from gatktool import tool")
        self._send(f"tool.initializeGATK('{self.ack_path}')")
        self.ack = _bounded(lambda: open(self.ack_path), self.timeout, "python to open the ack FIFO")
        self._send("tool.sendAck()")
        assert self.read_ack() == "ack"
        self._send(f"tool.initializeDataFIFO('{self.data_path}')")
        self.data = _bounded(lambda: open(self.data_path, "w"), self.timeout, "python to open the data FIFO")
        self._send("tool.sendAck()")
        assert self.read_ack() == "ack"

    def score_batch(self, lines: Sequence[str], score_command: str) -> str:
        self._send(score_command)
        self._send("tool.sendAck()")

        def write() -> None:
            for line in lines:
                self.data.write(line)
            self.data.flush()

        _bounded(write, self.timeout, "python to read the data FIFO")
        return self.read_ack()

    def finish(self) -> None:
        assert self.command("tempFile.close()") == "ack"
        assert self.command("tool.closeDataFIFO()") == "ack"
        self._send("tool.terminateGATK()")
        self._send("exit()")
        self.stdin.close()
        _bounded(self.proc.wait, self.timeout, "python to exit")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        for f in (self.ack, self.data, self.log):
            try:
                if f:
                    f.close()
            except OSError:
                pass

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text()


class ScoringSession:
    """A long-lived Python process with a model loaded (as one CNNScoreVariants run keeps it), driven over the
    FIFOs: `score(lines)` sends them in transfer batches and returns the score strings written to the temp file.
    `module` is what the process imports as `vqsr_cnn` (GATK's own package, or a stand-in with its API)."""

    what = "scoring session"
    module = "vqsr_cnn"  # what the process imports as vqsr_cnn (subclasses: GATK's package or a stand-in)

    def environment(self) -> dict[str, str | None]:
        """Overrides of this process's environment for the child (None removes a variable)."""
        return {}

    def __init__(
        self,
        python: str,
        json_path: str,
        hd5_path: str,
        tensor_type: str,
        annotations: Sequence[str],
        inference_batch: int,
        window: int = 128,
        read_limit: int = 128,
        timeout: float = 1800,
        workdir: Path | None = None,
        env: Mapping[str, str | None] | None = None,
    ) -> None:
        """`env`: overrides of this process's environment for the child (default: `environment()`)."""
        self._own_workdir = workdir is None  # a temporary one is removed at close; a caller's is kept (its log)
        self.workdir = Path(tempfile.mkdtemp(prefix="vqsr_cnn-session-")) if workdir is None else workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.java = JavaSide(self.workdir, dict(self.environment() if env is None else env), timeout=timeout, python=python)
        self.temp = self.workdir / "scores.txt"
        self.call = f"{{n}}, {inference_batch}, '{tensor_type}', '{','.join(annotations)}', {window}, {read_limit}, ''"
        load = "import vqsr_cnn" if self.module == "vqsr_cnn" else f"import {self.module} as vqsr_cnn"
        try:
            self.java.start()
            for command in (
                f"tempFile = open('{self.temp}', 'w+')",
                load,
                f"args, model = vqsr_cnn.start_session_get_args_and_model(0, 0, "
                f"'{Path(json_path).resolve()}', weights_hd5='{Path(hd5_path).resolve()}')",
            ):
                self._check(self.java.command(command), command)
        except BaseException:
            self.close()
            raise

    def _check(self, ack: str, what: str) -> None:
        if ack != "ack":
            raise RuntimeError(f"{self.what}: {what!r} failed: {ack}\n{self.java.output()[-2000:]}")

    def score(self, lines: Sequence[str], transfer_batch: int) -> list[str]:
        self._check(self.java.command("tempFile.seek(0); tempFile.truncate()"), "truncate")
        for i in range(0, len(lines), transfer_batch):
            batch = lines[i : i + transfer_batch]
            command = "vqsr_cnn.score_and_write_batch(model, tempFile, " + self.call.format(n=len(batch)) + ")"
            self._check(self.java.score_batch(batch, command), f"batch at line {i + 1}")
        self._check(self.java.command("tempFile.flush()"), "flush")
        return [row.rsplit("\t", 1)[1] for row in self.temp.read_text().splitlines()]

    def ask(self, expression: str) -> str:
        """The value of a Python expression in the session (printed by the process, read back from its log)."""
        marker = f"@@{id(self)}@@"
        self._check(self.java.command(f"print({marker!r}, {expression}, {marker!r}, sep='')"), expression)
        text = self.java.output()
        return text[text.rindex(marker, 0, text.rindex(marker)) + len(marker) : text.rindex(marker)]

    def close(self) -> None:
        try:
            if self.java.proc.poll() is None and self.java.ack is not None:
                self.java.finish()
        except (AssertionError, OSError, TimeoutError):
            pass
        finally:
            self.java.kill()
            if self._own_workdir:
                shutil.rmtree(self.workdir, ignore_errors=True)


def run_session(
    workdir: Path,
    json_path: str,
    hd5_path: str,
    tensor_type: str,
    lines: Sequence[str],
    annotations: str,
    transfer_batch: int = 256,
    inference_batch: int = 32,
    window: int = 128,
    read_limit: int = 128,
    python: str | os.PathLike | None = None,
    env: dict[str, str | None] | None = None,
    timeout: float = 600,
) -> str:
    """One whole CNNScoreVariants session (DESIGN.md §2) in `workdir`: the temp file's text. A nack raises."""

    session = ScoringSession(
        str(python or sys.executable),
        json_path,
        hd5_path,
        tensor_type,
        annotations.split(","),
        inference_batch,
        window,
        read_limit,
        timeout,
        workdir,
        env=env or {},
    )
    try:
        session.score(lines, transfer_batch)
        return session.temp.read_text()
    finally:
        session.close()
