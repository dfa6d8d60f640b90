"""Remove the TF1-era `vqsr_cnn` package that PyPI's `gatkpythonpackages` installs next to `gatktool`.

That wheel ships GATK's old module under the same import name as this project, and a copy in
site-packages shadows ours.  We keep its `gatktool` (the FIFO bridge) and delete only its
`vqsr_cnn/` files.  Run with the environment's own python before or after installing vqsr_cnn.

When both wheels were installed into the same site-packages folder (a non-editable install), their
files share one `vqsr_cnn/` directory: then only the files still byte-identical to GATK's RECORD are
deleted (ours, which overwrote GATK's `__init__.py`, differ and stay).
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import sys
from importlib import metadata
from pathlib import Path


def _same_as_record(path: Path, record_hash: metadata.FileHash | None) -> bool:
    if record_hash is None or record_hash.mode != "sha256":
        return False
    digest = base64.urlsafe_b64encode(hashlib.sha256(path.read_bytes()).digest()).rstrip(b"=").decode()
    return digest == record_hash.value


def main() -> int:
    try:
        dist = metadata.distribution("gatkpythonpackages")
    except metadata.PackageNotFoundError:
        print("gatkpythonpackages is not installed; nothing to remove")
        return 0
    files = [f for f in dist.files or [] if f.parts and f.parts[0] == "vqsr_cnn"]
    removed = 0
    for rel in {Path(f.parts[0]) for f in files}:
        target = Path(str(dist.locate_file(rel)))
        ours = target / "engine"  # a directory only this project's package has
        if target.is_dir() and not ours.exists():
            shutil.rmtree(target)
            removed += 1
        elif target.is_dir():  # merged with ours: delete GATK's untouched files, then emptied folders
            init = next((f for f in files if f.parts == ("vqsr_cnn", "__init__.py")), None)
            if init is not None and _same_as_record(Path(str(dist.locate_file(init))), init.hash):
                print(
                    f"GATK's vqsr_cnn/__init__.py overwrote ours in {target}: reinstall vqsr-cnn "
                    "(pip install --force-reinstall --no-deps <vqsr-cnn wheel or checkout>), then run this again",
                    file=sys.stderr,
                )
                return 1
            for f in files:
                path = Path(str(dist.locate_file(f)))
                if path.is_file() and _same_as_record(path, f.hash):
                    path.unlink()
                    removed += 1
            for folder in sorted({Path(str(dist.locate_file(f))).parent for f in files}, key=lambda p: -len(p.parts)):
                if folder.is_dir() and folder != target and not any(p.name != "__pycache__" for p in folder.iterdir()):
                    shutil.rmtree(folder)
    print(f"removed GATK's bundled vqsr_cnn from {dist.locate_file('')!s}" if removed else "no shadowing vqsr_cnn found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
