# syntax=docker/dockerfile:1
# vqsr-cnn: CPU scoring image (Python 3.11, TensorFlow + OpenVINO, bundled models, Snakemake workflow).
#   docker build -t vqsr-cnn .
#   docker run --rm -v "$PWD:/data" vqsr-cnn score -V calls.vcf.gz -R ref.fasta -O scored.vcf.gz --tensor-type reference
# Dependencies come as binary wheels (a few pure-Python ones as sdists), so neither stage needs a compiler.
# CI builds this file unchanged with podman and smoke-tests the image as uid 10001: scripts/build_image.sh.

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_INPUT=1 \
    PIP_ROOT_USER_ACTION=ignore \
    VENV=/opt/vqsr-cnn
WORKDIR /src
COPY pyproject.toml README.md ./
COPY scripts/remove_gatk_vqsr_cnn.py scripts/
COPY vqsr_cnn/ vqsr_cnn/
# vqsr_cnn/workflow is a symlink to workflows/: the wheel packages the Snakemake workflow through it.
COPY workflows/ workflows/
# Build our wheel (it carries the bundled models), then install it with the workflow extra into a venv.
RUN --mount=type=cache,target=/root/.cache/pip \
    python -m venv "$VENV" \
    && "$VENV/bin/python" -m pip install --upgrade "pip>=24" \
    && "$VENV/bin/python" -m pip wheel --no-deps --wheel-dir dist . \
    && "$VENV/bin/python" -m pip install --prefer-binary "$(ls dist/vqsr_cnn_openvino-*.whl)[workflow]"
# gatkpythonpackages (needed for gatktool) also ships GATK's old TF1 `vqsr_cnn`, which shadows ours.
# -I keeps the source tree out of sys.path, so these checks see only what is installed.
RUN "$VENV/bin/python" scripts/remove_gatk_vqsr_cnn.py \
    && "$VENV/bin/python" -I -c "import vqsr_cnn, gatktool; import vqsr_cnn.engine" \
    && "$VENV/bin/python" -I -c "import importlib.util as u; assert u.find_spec('vqsr_cnn.vqsr_cnn') is None, 'GATK leftovers'" \
    && "$VENV/bin/python" -I -c "from vqsr_cnn.models.bundled import default_model_paths as p; [f.stat() for t in ('reference', 'read_tensor') for f in p(t)]" \
    && "$VENV/bin/vqsr-cnn" --version \
    && "$VENV/bin/vqsr-cnn" workflow --print-path

FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
ENV VENV=/opt/vqsr-cnn
# No TF_CPP_MIN_LOG_LEVEL: vqsr_cnn hides TensorFlow's native start-up noise itself unless it is set (or --verbose).
ENV PATH="$VENV/bin:$PATH" \
    PYTHONUNBUFFERED=1
COPY --from=build /opt/vqsr-cnn /opt/vqsr-cnn
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin vqsr
USER 10001:10001
WORKDIR /data
ENTRYPOINT ["vqsr-cnn"]
CMD ["--help"]
