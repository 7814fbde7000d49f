#!/usr/bin/env bash
# Native sentence embeddings (src/text) vs this machine's sgemm peak, then PyTorch on the same
# shapes. Run by scripts/bench.sh (`make bench`); PODPOWER_BUILD is the build folder.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${PODPOWER_BUILD:-$ROOT/build}
"$BUILD/bench/text_bench" "$@"
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  /usr/bin/python3 "$ROOT/bench/text_torch_reference.py" "$@"
else
  echo "text_bench: PyTorch reference skipped: /usr/bin/python3 cannot import torch (python3-torch)"
fi
