"""Scored VCF output: the input's own bytes plus one INFO key, written atomically.

Records are never re-serialised: the score key is spliced into the original line's INFO column, so
every other byte (QUAL formatting, FORMAT/sample columns, INFO order, line endings) is unchanged.
The key goes where htsjdk's writer would put it in a key-sorted INFO column (GATK's output sorts INFO
keys), and replaces an existing value of the same key (GATK overwrites it too).

Output goes to a hidden temporary file in the destination directory and is renamed into place only
after the last record (and, for ``.gz``, the BGZF EOF block and the tabix index) is written, so a
failed or interrupted run never leaves a partial VCF behind.  A run killed outright (kill -9) cannot
clean up: its hidden temp file carries the host and process id, and the next run writing to the same
output deletes it once that process is gone.
"""

from __future__ import annotations

import logging
import os
import socket
from types import TracebackType

from ..errors import InputError

log = logging.getLogger("vqsr_cnn")

COMPRESSED_SUFFIXES = (".gz", ".bgz")


def info_header_line(key: str, description: str, newline: str = "\n") -> str:
    return f'##INFO=<ID={key},Number=1,Type=Float,Description="{description}">{newline}'


def _info_id(line: str) -> str | None:
    if not line.startswith("##INFO=<ID="):
        return None
    rest = line[len("##INFO=<ID=") :]
    return rest.split(",", 1)[0].split(">", 1)[0]


def add_info_header(lines: list[str], key: str, description: str) -> list[str]:
    """Header lines with the score's ##INFO line: kept if present, else at its sorted place among ##INFO."""
    if any(_info_id(line) == key for line in lines):
        return list(lines)
    chrom = lines[-1]
    newline = "\r\n" if chrom.endswith("\r\n") else "\n"
    new = info_header_line(key, description, newline)
    info_at = [i for i, line in enumerate(lines) if _info_id(line) is not None]
    if info_at:
        after = [i for i in info_at if (_info_id(lines[i]) or "") > key]
        at = after[0] if after else info_at[-1] + 1
    else:
        at = len(lines) - 1  # just before #CHROM
    return [*lines[:at], new, *lines[at:]]


def insert_info(line: str, key: str, value: str) -> str:
    """The record line with KEY=value in its INFO column (8th); everything else byte-identical."""
    body = line.rstrip("\r\n")
    ending = line[len(body) :]
    first = body.split("\t", 8)
    if len(first) < 8:
        raise InputError(f"record has {len(first)} columns, need 8: {body[:60]!r}")
    info = first[7]
    entry = f"{key}={value}"
    if info in (".", ""):
        first[7] = entry
    else:
        items = info.split(";")
        keys = [item.partition("=")[0] for item in items]
        if key in keys:
            items[keys.index(key)] = entry
        else:
            at = next((i for i, k in enumerate(keys) if k > key), len(items))
            items.insert(at, entry)
        first[7] = ";".join(items)
    return "\t".join(first) + ending


def is_compressed_name(path: str) -> bool:
    return path.endswith(COMPRESSED_SUFFIXES)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_partials(directory: str, prefix: str) -> None:
    """Delete temp files (and their indexes) of earlier runs on this host whose process is gone (kill -9,
    power loss): they were never renamed into place, so nothing else refers to them."""
    for name in os.listdir(directory):
        if not name.startswith(prefix):
            continue
        pid = name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            try:
                os.remove(os.path.join(directory, name))
                log.info("removed %s left by an interrupted run", name)
            except OSError:
                pass


class AtomicVcfWriter:
    """Write text to PATH via a temporary file; BGZF + tabix index when PATH ends in .gz."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.path.abspath(os.fspath(path))
        directory = os.path.dirname(self.path)
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"output directory {directory} does not exist; create it first (output {os.fspath(path)})")
        if os.path.isdir(self.path):
            raise IsADirectoryError(f"output {self.path} is a directory; give a file name ending in .vcf or .vcf.gz")
        if not os.access(directory, os.W_OK):
            raise PermissionError(f"output directory {directory} is not writable")
        self.compressed = is_compressed_name(self.path)
        base = os.path.basename(self.path)
        suffix = ".vcf.gz" if self.compressed else ".vcf"
        prefix = f".{base}.partial-{socket.gethostname()}-"
        _remove_stale_partials(directory, prefix)
        self.temp = os.path.join(directory, f"{prefix}{os.getpid()}{suffix}")
        self.indexed = False
        if self.compressed:
            import pysam

            self._fh = pysam.BGZFile(self.temp, "wb")
        else:
            self._fh = open(self.temp, "wb")  # closed in commit/abort
        self._open = True

    def write(self, text: str) -> None:
        self._fh.write(text.encode("utf-8", "surrogateescape"))

    def _close(self) -> None:
        if self._open:
            self._open = False
            self._fh.close()

    def commit(self, index: bool = True) -> None:
        """Finish the file (and its index) and move it into place."""
        self._close()
        index_path = self.path + ".tbi"
        if self.compressed and index:
            import pysam

            temp_index = self.temp + ".tbi"
            try:
                pysam.tabix_index(self.temp, preset="vcf", force=True, index=temp_index)
                self.indexed = True
            except (OSError, ValueError) as exc:
                log.warning(
                    "could not tabix-index %s (%s); is the input sorted by position? writing it unindexed", self.path, exc
                )
        if os.path.exists(index_path):
            os.remove(index_path)  # never leave an index of an older file beside the new one
        os.replace(self.temp, self.path)
        if self.indexed:
            os.replace(self.temp + ".tbi", index_path)

    def abort(self) -> None:
        """Drop everything written so far."""
        try:
            self._close()
        finally:
            for p in (self.temp, self.temp + ".tbi"):
                if os.path.exists(p):
                    os.remove(p)

    def __enter__(self) -> AtomicVcfWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc_type is not None or self._open:
            # Leaving the block without commit() (error or interrupt) removes the partial output.
            self.abort()
