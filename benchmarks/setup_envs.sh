#!/usr/bin/env bash
# Environments for benchmarks/bench_gradcam.py: this project (with psutil) and, separately,
# eli5 0.16 for comparison only (it is never a dependency of eli5-compat).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-python3}
$PY -m venv .venv && .venv/bin/pip install -q -e ".[test]" psutil
$PY -m venv .bench-venv && .bench-venv/bin/pip install -q "eli5==0.16.0" "tensorflow-cpu==2.21.0" pillow matplotlib psutil
echo "run: .venv/bin/python benchmarks/bench_gradcam.py --eli5-016-python .bench-venv/bin/python"
