"""Generator methods: Keras 3's fit/predict/evaluate take a Python generator only if it yields tuples.

Keras 2's ``predict_generator`` also took a generator yielding a bare array (or a list); Keras 3
raises "the generator must return a tuple". Migrate rewrites the call always (the old method does not
exist in Keras 3) and adds a WARNING with the hand fix unless the data certainly works.
"""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from eli5_compat.migrate import migrate_cell, migrate_notebook

pytestmark = pytest.mark.tooling

INFO_PREDICT = ("`predict_generator()` -> `predict()` (Keras 3 removed the generator methods; `predict` takes the "
                "generator; verbose=0 keeps Keras 2's default here).")
UNKNOWN = ("If `{}` is a Python generator, Keras 3's `{}()` needs it to yield tuples (\"the generator must return a "
           "tuple\"); Keras 2 also took a bare array or a list: yield `(x,)` instead of an array `x`, `(x, y)` "
           "instead of a list `[x, y]`. A keras.utils.Sequence or a tf.data.Dataset works unchanged.")


def reported(findings):
    return [(f.line, f.level, f.message) for f in findings]


def test_generator_yielding_tuples_is_rewritten_without_warning():
    source = ("def batches():\n    for i in range(4):\n        yield x[i], y[i]\n    yield (x[0],)\n"
              "p = model.predict_generator(batches(), 4)\n")
    new, findings = migrate_cell(source)
    assert new == source.replace("predict_generator(batches(), 4)", "predict(batches(), steps=4, verbose=0)")
    assert reported(findings) == [(5, "INFO", INFO_PREDICT)]


def test_generator_yielding_a_bare_array_gets_the_hand_fix():
    source = "def batches():\n    while True:\n        yield images[:8]\np = model.predict_generator(batches(), 2)\n"
    new, findings = migrate_cell(source)
    assert new == source.replace("predict_generator(batches(), 2)", "predict(batches(), steps=2, verbose=0)")
    assert reported(findings) == [(4, "INFO", INFO_PREDICT), (4, "WARNING", (
        "`batches()` yields `images[:8]`, not a tuple: Keras 3's `predict()` rejects that (\"the generator must "
        "return a tuple\"), Keras 2 took it. Yield a tuple instead: `yield (images[:8],)` if `images[:8]` is an "
        "array, `yield tuple(images[:8])` if it is a list."))]


def test_generator_yielding_a_list_through_a_name_bound_once():
    source = ("def pairs(n):\n    yield [x[n], y[n]]\n    yield x[n], y[n]\n    yield\n"
              "train = pairs(3)\nmodel.fit_generator(train, 5, workers=3)\n")
    new, findings = migrate_cell(source)
    assert new.endswith("\ntrain = pairs(3)\nmodel.fit(train, steps_per_epoch=5)\n")
    assert [(f.line, f.level) for f in findings] == [(6, "WARNING"), (6, "INFO"), (6, "WARNING")]
    assert findings[2].message == (
        "`pairs()` yields `[x[n], y[n]]`, `None`, not a tuple: Keras 3's `fit()` rejects that (\"the generator must "
        "return a tuple\"), Keras 2 took it. Yield a tuple instead: `yield (x[n], y[n])` for `yield [x[n], y[n]]`; "
        "yield a batch, not `None`.")


def test_sequence_subclasses_work_unchanged():
    source = ("from tensorflow.keras.utils import Sequence\nimport keras\n"
              "class A(Sequence):\n    def __getitem__(self, i):\n        return x[i]\n"
              "class B(keras.utils.PyDataset):\n    pass\n"
              "a = model.predict_generator(A())\nb = A()\nc = model.evaluate_generator(b)\n"
              "d = model.predict_generator(B(), 1)\n")
    new, findings = migrate_cell(source)
    assert new.endswith("a = model.predict(A(), verbose=0)\nb = A()\nc = model.evaluate(b, verbose=0)\n"
                        "d = model.predict(B(), steps=1, verbose=0)\n")
    assert [(f.line, f.level) for f in findings] == [(8, "INFO"), (10, "INFO"), (11, "INFO")]


@pytest.mark.parametrize("source, shown", [
    ("p = model.predict_generator(gen, 2)\n", "gen"),  # defined elsewhere
    ("gen = batches()\ngen = other()\np = model.predict_generator(gen, 2)\n", "gen"),  # bound twice
    ("def batches():\n    yield from rows\np = model.predict_generator(batches(), 2)\n", "batches()"),
    ("def batches():\n    return data\np = model.predict_generator(batches(), 2)\n", "batches()"),  # no yield
    ("def batches():\n    yield (x,)\ndef batches():\n    yield x\np = model.predict_generator(batches(), 2)\n",
     "batches()"),  # defined twice
    ("class Rows(typing.Sequence):\n    pass\np = model.predict_generator(Rows(), 2)\n", "Rows()"),  # not Keras'
    ("p = model.predict_generator(self.batches(), 2)\n", "self.batches()"),
    ("def pairs():\n    yield x, y\ngen = pairs()\ndef test(gen):\n    p = model.predict_generator(gen, 2)\n",
     "gen"),  # a parameter named like a name bound once
])
def test_data_that_migrate_cannot_follow_gets_the_general_fix(source, shown):
    findings = migrate_cell(source)[1]
    assert reported(findings)[-2:] == [(source.count("\n"), "INFO", INFO_PREDICT),
                                      (source.count("\n"), "WARNING", UNKNOWN.format(shown, "predict"))]


INFO_FIT = "`fit_generator()` -> `fit()` (Keras 3 removed the generator methods; `fit` takes the generator)."
LIST_FIX = ("`g()` yields `[x, y]`, not a tuple: Keras 3's `fit()` rejects that (\"the generator must return a tuple\"), "
            "Keras 2 took it. Yield a tuple instead: `yield (x, y)` for `yield [x, y]`.")


@pytest.mark.parametrize("call, after", [
    ("model.fit_generator(ok(), validation_data=g())", "model.fit(ok(), validation_data=g())"),
    ("model.fit_generator(ok(), 2, 1, 0, None, g(), 1)",
     "model.fit(ok(), steps_per_epoch=2, epochs=1, verbose=0, callbacks=None, validation_data=g(), "
     "validation_steps=1)"),
])
def test_validation_data_yielding_a_list_gets_the_hand_fix(call, after):
    # Keras 3.15: fit(good(), validation_data=bad()) raises the "must return a tuple" ValueError.
    source = ("def ok():\n    while True:\n        yield x, y\n"
              "def g():\n    while True:\n        yield [x, y]\n" + call + "\n")
    new, findings = migrate_cell(source)
    assert new == source.replace(call, after)
    assert reported(findings) == [(7, "INFO", INFO_FIT), (7, "WARNING", LIST_FIX)]


def test_validation_data_that_is_no_generator_or_unknown():
    source = ("def ok():\n    yield x, y\nmodel.fit_generator(ok(), validation_data=(xv, yv))\n"
              "model.fit_generator(ok(), validation_data=[xv, yv])\nmodel.fit_generator(ok(), validation_data=None)\n"
              "model.fit_generator(ok(), validation_data=val)\n")
    findings = migrate_cell(source)[1]
    assert reported(findings) == [(3, "INFO", INFO_FIT), (4, "INFO", INFO_FIT), (5, "INFO", INFO_FIT),
                                  (6, "INFO", INFO_FIT), (6, "WARNING", UNKNOWN.format("val", "fit"))]


def test_image_data_generator_iterators_get_only_the_image_data_generator_error():
    source = ("from keras.preprocessing.image import ImageDataGenerator\n"
              "train = ImageDataGenerator().flow_from_directory('x/')\nmodel.fit_generator(train, 3)\n"
              "p = model.predict_generator(ImageDataGenerator().flow(images), 1)\n")
    findings = migrate_cell(source)[1]
    assert [(f.line, f.level) for f in findings] == [(1, "ERROR"), (3, "INFO"), (4, "INFO")]


def test_generator_defined_in_an_earlier_cell():
    nb = new_notebook(cells=[new_code_cell("def batches():\n    yield x"),
                             new_code_cell("p = model.predict_generator(batches(), 1)")])
    result = migrate_notebook(nb)
    assert result.notebook.cells[1].source == "p = model.predict(batches(), steps=1, verbose=0)"
    assert [(f.cell, f.line, f.level) for f in result.findings] == [(2, 1, "INFO"), (2, 1, "WARNING")]
    assert result.findings[1].message.startswith("`batches()` yields `x`, not a tuple")


# the rewritten calls run on Keras 3, and the WARNING's hand fix is the one that is needed ---------------
SETUP = textwrap.dedent("""\
    import numpy as np
    from tensorflow import keras

    X = np.linspace(0, 1, 32, dtype="float32").reshape(8, 4)
    Y = np.eye(2, dtype="float32")[np.arange(8) % 2]
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.set_weights([np.arange(8, dtype="float32").reshape(4, 2) / 10, np.array([0.5, -0.5], "float32")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
""")
CERTAIN = SETUP + textwrap.dedent("""\

    def inputs():
        for i in range(0, 8, 4):
            yield (X[i:i + 4],)

    def pairs():
        while True:
            for i in range(0, 8, 4):
                yield X[i:i + 4], Y[i:i + 4]

    class Batches(keras.utils.Sequence):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return X[4 * i:4 * i + 4]

    by_generator = model.predict_generator(inputs(), 2)
    by_sequence = model.predict_generator(Batches(), workers=2)
    loss = model.evaluate_generator(pairs(), 2)
    model.fit_generator(pairs(), 2, 1, verbose=0, use_multiprocessing=False)
    np.savez("certain.npz", by_generator=by_generator, by_sequence=by_sequence, loss=loss)
""")
BARE = SETUP + textwrap.dedent("""\

    def batches():
        for i in range(0, 8, 4):
            yield X[i:i + 4]

    np.save("bare.npy", model.predict_generator(batches(), 2))
""")
HARNESS = textwrap.dedent("""\
    import runpy, sys
    for path in sys.argv[1:]:
        try:
            runpy.run_path(path)
            print(path, "ok")
        except Exception as error:
            print(path, type(error).__name__, str(error).splitlines()[0])
""")


def _reference():
    """Softmax of the Dense layer set in SETUP, and its mean cross-entropy, in numpy."""
    x = np.linspace(0, 1, 32).reshape(8, 4)
    y = np.eye(2)[np.arange(8) % 2]
    logits = x @ (np.arange(8).reshape(4, 2) / 10) + np.array([0.5, -0.5])
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return probabilities, float(-(y * np.log(probabilities)).sum(axis=1).mean())


@pytest.mark.slow
@pytest.mark.once  # runs its scripts on Keras 3 whatever the world
def test_migrated_generator_calls_run_on_keras3(tmp_path):
    certain, findings = migrate_cell(CERTAIN)
    assert [(f.level, f.message.split(":")[0]) for f in findings if f.level != "INFO"] == [
        ("WARNING", "Dropped `workers=2` from `predict_generator()`"),
        ("WARNING", "Dropped `use_multiprocessing=False` from `fit_generator()`")]
    bare, findings = migrate_cell(BARE)
    fix = [f.message for f in findings if f.level == "WARNING"]
    assert len(fix) == 1 and "`yield (X[i:i + 4],)` if `X[i:i + 4]` is an array" in fix[0]
    fixed = bare.replace("yield X[i:i + 4]", "yield (X[i:i + 4],)")
    for name, code in [("certain.py", certain), ("bare.py", bare), ("fixed.py", fixed), ("run.py", HARNESS)]:
        (tmp_path / name).write_text(code)
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}  # Keras 3 whatever the world
    done = subprocess.run([sys.executable, "run.py", "certain.py", "bare.py", "fixed.py"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    certain_line, bare_line, fixed_line = done.stdout.splitlines()[-3:]
    assert (certain_line, fixed_line) == ("certain.py ok", "fixed.py ok")
    assert bare_line.startswith("bare.py ValueError When passing a Python generator to a Keras model, the generator "
                                "must return a tuple, either (input,) or (inputs, targets) or (inputs, targets, "
                                "sample_weights). Received: [[0. ")
    probabilities, loss = _reference()
    result = np.load(tmp_path / "certain.npz")
    np.testing.assert_allclose(result["by_generator"], probabilities, rtol=0, atol=1e-6)
    np.testing.assert_allclose(result["by_sequence"], probabilities, rtol=0, atol=1e-6)
    np.testing.assert_allclose(result["loss"], loss, rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.load(tmp_path / "bare.npy"), probabilities, rtol=0, atol=1e-6)


@pytest.mark.slow
@pytest.mark.once  # runs its script on tf-keras (Keras 2) whatever the world
def test_the_legacy_bare_generator_worked_on_keras2(tmp_path):
    (tmp_path / "bare.py").write_text(BARE)
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1")
    done = subprocess.run([sys.executable, "bare.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    np.testing.assert_allclose(np.load(tmp_path / "bare.npy"), _reference()[0], rtol=0, atol=1e-6)


def test_dropped_arguments_on_their_own_line_keep_the_line_numbers():
    """D1 (issue 9): the line a dropped `workers=` stood on stays (blank, or `)` after a trailing comma)."""
    source = ("history = model.fit_generator(train_gen, steps_per_epoch=len(train_gen), epochs=10,\n"
              "                              validation_data=test_gen, validation_steps=len(test_gen),\n"
              "                              workers=4, use_multiprocessing=True, max_queue_size=20)\n"
              "m.fit_generator(gen,\n    steps_per_epoch=3,\n    workers=4,\n    epochs=2)\n"
              "print('after')\n")
    new, findings = migrate_cell(source)
    assert new == ("history = model.fit(train_gen, steps_per_epoch=len(train_gen), epochs=10,\n"
                   "                              validation_data=test_gen, validation_steps=len(test_gen),\n"
                   "                              )\n"
                   "m.fit(gen,\n    steps_per_epoch=3,\n\n    epochs=2)\n"
                   "print('after')\n")
    dropped = [(f.line, f.column, f.message.split(":")[0]) for f in findings if f.message.startswith("Dropped")]
    assert dropped == [(3, 31, "Dropped `workers=4` from `fit_generator()`"),
                       (3, 42, "Dropped `use_multiprocessing=True` from `fit_generator()`"),
                       (3, 68, "Dropped `max_queue_size=20` from `fit_generator()`"),
                       (6, 5, "Dropped `workers=4` from `fit_generator()`")]


def test_dropped_argument_before_a_line_break_keeps_it():
    new, findings = migrate_cell("m.fit_generator(gen, workers=4,\n    epochs=2)\nm.predict_generator(gen, 3, workers=4\n)\n")
    assert new == "m.fit(gen,\n    epochs=2)\nm.predict(gen, steps=3, \nverbose=0)\n"
    assert [(f.line, f.column) for f in findings if f.message.startswith("Dropped `workers=4` from")] == [(1, 1), (3, 1)]


def test_dropped_argument_line_keeps_its_comment_and_the_closing_bracket_its_indentation():
    source = ("m.fit_generator(gen,\n    steps_per_epoch=3,  # three\n    workers=4,  # many\n    epochs=2)\n"
              "m.fit_generator(\n    gen,\n    workers=2,\n)\n")
    new, _ = migrate_cell(source)
    assert new == ("m.fit(gen,\n    steps_per_epoch=3,  # three\n    # many\n    epochs=2)\n"
                   "m.fit(\n    gen,\n\n)\n")
