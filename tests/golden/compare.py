"""Compare two golden sets (the committed one and a fresh regeneration) within 1e-6.

    python tests/golden/compare.py tests/golden/data /tmp/regenerated

Exits 1 and lists the differences when any array differs by more than 1e-6, when any
string, type or exception differs, or when a case or array is missing on one side.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

TOLERANCE = 1e-6


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
                    if abs(x - y) > TOLERANCE * max(1.0, abs(x)):
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
            elif x.size and np.max(np.abs(x.astype(np.float64) - y.astype(np.float64))) > TOLERANCE:
                problems.append("array %s: max difference %g" % (key, np.max(np.abs(x.astype(np.float64) - y))))
    return problems


if __name__ == "__main__":
    found = differences(Path(sys.argv[1]), Path(sys.argv[2]))
    for line in found[:50]:
        print(line)
    print("golden regeneration: %d differences beyond %g" % (len(found), TOLERANCE))
    sys.exit(1 if found else 0)
