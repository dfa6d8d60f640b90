"""Remove the TF1-era `vqsr_cnn` package that PyPI's `gatkpythonpackages` installs next to `gatktool`.

That wheel ships GATK's old module under the same import name as this project, and a copy in
site-packages shadows ours.  We keep its `gatktool` (the FIFO bridge) and delete only its
`vqsr_cnn/` files.  Run with the environment's own python before or after installing vqsr_cnn.
"""

from __future__ import annotations

import shutil
import sys
from importlib import metadata
from pathlib import Path


def main() -> int:
    try:
        dist = metadata.distribution("gatkpythonpackages")
    except metadata.PackageNotFoundError:
        print("gatkpythonpackages is not installed; nothing to remove")
        return 0
    theirs = {Path(f.parts[0]) for f in dist.files or [] if f.parts and f.parts[0] == "vqsr_cnn"}
    removed = 0
    for rel in theirs:
        target = Path(dist.locate_file(rel))
        ours = target / "engine"  # a directory only this project's package has
        if target.is_dir() and not ours.exists():
            shutil.rmtree(target)
            removed += 1
    print(f"removed GATK's bundled vqsr_cnn from {dist.locate_file('')}" if removed else "no shadowing vqsr_cnn found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
