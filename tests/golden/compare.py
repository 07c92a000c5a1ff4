"""Compare two golden sets (the committed one and a fresh regeneration by eli5 0.11).

    python tests/golden/compare.py tests/golden/data /tmp/regenerated

Both sides come from the same eli5 0.11 and TensorFlow 2.15, but float32 kernels round
differently on different processors (seen: heatmaps 1.7e-6 apart, activations of uint8
docs 1.2e-4 apart on values in the thousands, one overlay pixel one grey level apart between
an Intel and an AMD machine). So: inputs and model weights must be identical; computed
float arrays agree within 1e-5 (activations within 1e-6 of their largest magnitude); image
pixels within 1 grey level; computed scalars within 1e-6 relative; strings, types and
exceptions exactly. Exits 1 and lists what differs, or what is missing on one side.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

TOLERANCE = 1e-5           # computed float arrays (heatmaps, gradients, weights)
ACTIVATION_SCALE = 1e-6    # activations: of the array's largest magnitude
PIXEL_LEVELS = 1           # uint8 image pixels
SCALAR_RELATIVE = 1e-6     # floats in goldens.json (scores)
_COMPUTED = ("heatmap", "weights", "grads", "activations")


def _limit(key: str, x: np.ndarray) -> float:
    leaf = key.rsplit("/", 1)[-1]
    if not key.startswith("results/"):
        return 0.0  # docs and model weights are the generator's inputs: identical
    if leaf == "activations":
        return ACTIVATION_SCALE * max(1.0, float(np.max(np.abs(x))) if x.size else 1.0)
    if leaf in _COMPUTED:
        return TOLERANCE
    return PIXEL_LEVELS if x.dtype == np.uint8 else TOLERANCE


def differences(committed: Path, fresh: Path) -> list:
    problems = []
    a = json.loads((committed / "goldens.json").read_text())
    b = json.loads((fresh / "goldens.json").read_text())
    for section in ("good", "bad"):
        for key in sorted(set(a[section]) | set(b[section])):
            left, right = a[section].get(key), b[section].get(key)
            if left is None or right is None:
                problems.append("%s/%s: present on one side only" % (section, key))
                continue
            for field in sorted(set(left) | set(right)):
                x, y = left.get(field), right.get(field)
                if isinstance(x, float) and isinstance(y, float):
                    if abs(x - y) > SCALAR_RELATIVE * max(1.0, abs(x)):
                        problems.append("%s/%s.%s: %r != %r" % (section, key, field, x, y))
                elif x != y:
                    problems.append("%s/%s.%s: %r != %r" % (section, key, field, x, y))
    with np.load(committed / "goldens.npz") as left, np.load(fresh / "goldens.npz") as right:
        for key in sorted(set(left.files) | set(right.files)):
            if key not in left.files or key not in right.files:
                problems.append("array %s: present on one side only" % key)
                continue
            x, y = left[key], right[key]
            if x.dtype != y.dtype or x.shape != y.shape:
                problems.append("array %s: %s%s != %s%s" % (key, x.dtype, x.shape, y.dtype, y.shape))
            elif x.size and np.max(np.abs(x.astype(np.float64) - y.astype(np.float64))) > _limit(key, x):
                problems.append("array %s: max difference %g (allowed %g)" % (
                    key, np.max(np.abs(x.astype(np.float64) - y)), _limit(key, x)))
    return problems


if __name__ == "__main__":
    found = differences(Path(sys.argv[1]), Path(sys.argv[2]))
    for line in found[:50]:
        print(line)
    print("golden regeneration: %d differences beyond the tolerances" % len(found))
    sys.exit(1 if found else 0)
