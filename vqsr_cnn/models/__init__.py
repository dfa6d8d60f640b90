"""Models: GATK-format files (architecture JSON + Keras-2 HD5), default architectures, bundled files."""
