"""Recognise Keras classes by their hierarchy, without importing Keras or TensorFlow."""
from __future__ import annotations

from functools import lru_cache
from typing import Optional

KERAS_ROOTS = ("keras", "tf_keras")


@lru_cache(maxsize=1024)  # per class: a class's hierarchy never changes
def keras_root(cls: type, base_name: str) -> Optional[str]:
    """The top-level package (``keras`` or ``tf_keras``) whose ``base_name`` class ``cls`` derives from."""
    for klass in cls.__mro__:
        root = klass.__module__.split(".", 1)[0]
        if klass.__name__ == base_name and root in KERAS_ROOTS:
            return root
    return None
