#!/usr/bin/env bash
# One command for a fresh machine: create .venv, install vqsr_cnn with everything it needs (runtime, tests,
# Snakemake workflow, INT8 quantisation), and score the bundled test data with the bundled 1D and 2D models.
#   bash scripts/setup.sh            # PYTHON=python3.11 bash scripts/setup.sh to pick the interpreter
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip "setuptools>=77"  # the SPDX license field (pyproject.toml)
"$VENV/bin/python" -m pip install --quiet -e ".[test,workflow,quantize]"
# PyPI's gatkpythonpackages (our source of gatktool) also ships GATK's old vqsr_cnn, which would shadow this one.
"$VENV/bin/python" scripts/remove_gatk_vqsr_cnn.py
"$VENV/bin/python" -c "import gatktool, vqsr_cnn.engine; print('vqsr_cnn', vqsr_cnn.__version__, 'installed')"

if [ "${SKIP_DEMO:-0}" != "1" ]; then
  mkdir -p results
  D=testdata/chr22_normal
  "$VENV/bin/vqsr-cnn" score -V "$D/test_haplotcaller.noCNN.vcf" -R "$D/genome.fasta" \
      -O results/demo.cnn_1d.vcf.gz --tensor-type reference
  "$VENV/bin/vqsr-cnn" score -V "$D/test_haplotcaller.noCNN.vcf" -R "$D/genome.fasta" -I "$D/test.paired_end.sorted.bam" \
      -O results/demo.cnn_2d.vcf.gz --tensor-type read_tensor
  echo "Scored test data: results/demo.cnn_1d.vcf.gz results/demo.cnn_2d.vcf.gz"
fi
