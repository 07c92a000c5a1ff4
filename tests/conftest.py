"""Test settings shared by every world the suite runs in.

Worlds: Keras 3 (default), tf-keras (``TF_USE_LEGACY_KERAS=1``), and graph mode
(``ELI5_COMPAT_GRAPH_MODE=1``: ``disable_eager_execution()`` first; tf-keras or TF 2.15).
Tests marked ``eager_only`` describe eager-only features, and tests marked ``tooling``
(the migrate and explain commands, notebooks) do not involve Keras' execution mode; both
are deselected in graph mode, whose environment is legacy eli5's own. Tests marked
``graph_only`` are about graph mode itself and run only there, as do tests marked ``legacy_eli5``
(they compare with eli5 0.11, installed in that world's venv). Tests marked ``once`` give the
same result in every eager world; .ci/run runs them only in the Keras 3 world.

Backend worlds: Keras 3 with ``KERAS_BACKEND=jax`` or ``torch``, in environments without
TensorFlow. .ci/run runs the files that hold for every backend there; TensorFlow is not
imported by this file in those worlds.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")

import pytest  # noqa: E402

BACKEND = os.environ.get("KERAS_BACKEND", "tensorflow")
GRAPH_MODE = os.environ.get("ELI5_COMPAT_GRAPH_MODE") == "1"
if BACKEND == "tensorflow":
    import tensorflow as tf

    if GRAPH_MODE:
        tf.compat.v1.disable_eager_execution()


def pytest_configure(config):
    config.addinivalue_line("markers", "eager_only: needs eager execution (deselected in graph mode)")
    config.addinivalue_line("markers", "tooling: command-line and notebook tooling (deselected in graph mode)")
    config.addinivalue_line("markers", "graph_only: about graph mode itself (deselected in eager worlds)")
    config.addinivalue_line("markers", "legacy_eli5: compares with an installed eli5 0.11 (graph-mode world only)")
    config.addinivalue_line("markers", "once: the same whatever the world (Keras 3 notebook, packaging): run once per CI")
    config.addinivalue_line("markers", "tensorflow_only: about TensorFlow itself (deselected on the JAX and PyTorch backends)")
    config.addinivalue_line("markers", "compiled: about the compiled-computation cache (deselected on PyTorch: it runs eagerly)")
    config.addinivalue_line("markers", "backend_only: about Keras 3 on JAX or PyTorch (deselected on TensorFlow)")
    config.addinivalue_line("markers", "intermediate_gradients: the test's reference differentiates with respect to an "
                            "intermediate value of one forward pass, which JAX cannot (deselected there; "
                            "tests/test_backends.py covers those model kinds on JAX with two-stage references)")


def pytest_collection_modifyitems(config, items):
    not_here = ("eager_only", "tooling") if GRAPH_MODE else ("graph_only", "legacy_eli5")
    if BACKEND == "tensorflow":
        not_here += ("backend_only",)
    else:
        not_here += ("tensorflow_only",) + {"torch": ("compiled",), "jax": ("intermediate_gradients",)}.get(BACKEND, ())
    dropped = [item for item in items if any(item.get_closest_marker(m) for m in not_here)]
    kept = [item for item in items if item not in dropped]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_report_header(config):
    if BACKEND != "tensorflow":
        import keras

        return "eli5-compat world: Keras {} on the {} backend".format(keras.__version__, BACKEND)
    from tensorflow import keras

    flavour = type(keras.Model).__module__.split(".")[0]
    return "eli5-compat world: TensorFlow {}, {} ({}), {} mode".format(
        tf.__version__, flavour, getattr(keras, "__version__", "Keras 2"), "graph" if GRAPH_MODE else "eager")


@pytest.fixture(scope="session")
def keras():
    """The Keras of this world, as users reach it: ``tensorflow.keras`` (``keras`` on JAX or PyTorch)."""
    if BACKEND != "tensorflow":
        import keras as world_keras
    else:
        from tensorflow import keras as world_keras
    return world_keras
