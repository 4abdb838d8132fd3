"""Which encoder embeds a small index update sooner: ONNX Runtime or torch (indexing.ONNX_MAX_TEXTS).

For an index `codesearch index` built, each backend runs in a fresh process (imports included, as
a cold `codesearch index` pays them) and embeds the first N texts of the index's records, for each
N of ``--counts``: seconds to open the encoder, seconds to embed, and the total. Prints JSON lines
and the load average.

    python bench/index_backends.py --index-dir REPO/.codesearch [--counts 50,200,600,1000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, sys, time
started = time.perf_counter()
backend, index_dir, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
from pathlib import Path
from codesearch.config import user_cache_dir
from codesearch.embedding_text import chunk_text
from codesearch.encoder.identity import describe_model
from codesearch.index.store import IndexStore
with IndexStore.open(Path(index_dir), readonly=True) as store:
    texts = list(dict.fromkeys(chunk_text(s.chunk) for s in store.get_chunks(range(1, 10 * count + 100))))[:count]
model_hash = describe_model("default").model_hash
begun = time.perf_counter()
if backend == "onnx":
    from codesearch.encoder.onnx_encoder import OnnxEncoder
    from codesearch.encoder.onnx_manifest import export_folder
    encoder = OnnxEncoder.open(export_folder(user_cache_dir(), model_hash), model_hash)
else:
    from codesearch.encoder.model import Encoder
    encoder = Encoder.load("default")
opened = time.perf_counter()
encoder.embed_code(texts)
done = time.perf_counter()
print(json.dumps({"backend": encoder.backend, "texts": len(texts), "open_s": round(opened - begun, 2),
                  "embed_s": round(done - opened, 2), "open_and_embed_s": round(done - begun, 2),
                  "texts_per_s": round(len(texts) / (done - opened), 1)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--counts", default="50,200,600,1000")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", file=sys.stderr)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    for count in (int(c) for c in args.counts.split(",")):
        for backend in ("onnx", "torch"):
            done = subprocess.run([sys.executable, "-c", CHILD, backend, str(args.index_dir), str(count)],
                                  env=env, capture_output=True, text=True, check=True)
            print(done.stdout.strip(), flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", file=sys.stderr)


if __name__ == "__main__":
    main()
