"""Make the Fashion-MNIST sample shipped with the examples (run once; the output is committed).

    python examples/fashion_mnist_sample/make_sample.py [/usr/share/datasets/fashion-mnist]

Reads the full dataset (by default Debian's copy, package ``dataset-fashion-mnist``) and
writes, in Keras's file names and format (gzip-compressed IDX), the first 400 training and
the first 100 test images of each of the 10 classes, in their original order. gzip's
timestamp is fixed, so the same input gives the same bytes.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from fashion_mnist_data import DEBIAN, FILES, read_idx, write_idx  # noqa: E402

PER_CLASS = {"train": 400, "t10k": 100}


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEBIAN
    for split, per_class in PER_CLASS.items():
        images = read_idx(source / "{}-images-idx3-ubyte.gz".format(split), FILES["{}-images-idx3-ubyte.gz".format(split)])
        labels = read_idx(source / "{}-labels-idx1-ubyte.gz".format(split), FILES["{}-labels-idx1-ubyte.gz".format(split)])
        keep = np.sort(np.concatenate([np.flatnonzero(labels == k)[:per_class] for k in range(10)]))
        write_idx(HERE / "{}-images-idx3-ubyte.gz".format(split), images[keep])
        write_idx(HERE / "{}-labels-idx1-ubyte.gz".format(split), labels[keep])
        print("{}: {} images".format(split, len(keep)))


if __name__ == "__main__":
    main()
