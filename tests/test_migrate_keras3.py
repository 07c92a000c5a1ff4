"""Keras 2 -> 3 fixes: rewritten where the meaning is certain, else reported with the hand fix."""
import os
import subprocess
import sys
import textwrap

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from pathlib import Path

from eli5_compat.cli import main
from eli5_compat.migrate import migrate_cell, migrate_notebook

pytestmark = pytest.mark.tooling


def found(findings):
    return [(f.line, f.column, f.level) for f in findings]


# generator methods --------------------------------------------------------------------------------
@pytest.mark.parametrize("before, after, levels", [
    ("model.fit_generator(gen, 100, 5, workers=4, use_multiprocessing=True)\n",
     "model.fit(gen, steps_per_epoch=100, epochs=5)\n", ["WARNING", "WARNING", "INFO", "WARNING"]),
    ("model.fit_generator(gen, 10, 2, 0, None, val, 3, 1, None, 10, 1, False, True, 0)\n",
     "model.fit(gen, steps_per_epoch=10, epochs=2, verbose=0, callbacks=None, validation_data=val, "
     "validation_steps=3, validation_freq=1, class_weight=None, shuffle=True, initial_epoch=0)\n",
     ["WARNING", "WARNING", "WARNING", "INFO", "WARNING", "WARNING"]),  # gen and val: generators?
    ("p = model.predict_generator(test_gen, steps=10, max_queue_size=5)\n",
     "p = model.predict(test_gen, steps=10, verbose=0)\n", ["WARNING", "INFO", "WARNING"]),
    ("p = model.predict_generator(test_gen, 10, verbose=1)\n",
     "p = model.predict(test_gen, steps=10, verbose=1)\n", ["INFO", "WARNING"]),
    ("s = model.evaluate_generator(generator=val_gen)\n", "s = model.evaluate(x=val_gen, verbose=0)\n", ["INFO", "WARNING"]),
    ("model.fit_generator(\n    gen,\n    steps_per_epoch=10,\n    workers=2,\n)\n",
     "model.fit(\n    gen,\n    steps_per_epoch=10,\n\n)\n", ["INFO", "WARNING", "WARNING"]),
])
def test_generator_methods(before, after, levels):
    new, findings = migrate_cell(before)
    assert new == after
    assert [f.level for f in findings] == levels


def test_generator_methods_with_unpacked_arguments_are_reported():
    source = "model.fit_generator(*args, **kwargs)\n"
    new, findings = migrate_cell(source)
    assert new == source and found(findings) == [(1, 1, "ERROR")]
    assert "call `fit()`" in findings[0].message


# optimizers ----------------------------------------------------------------------------------------
def test_optimizer_lr_and_decay():
    source = ("from keras.optimizers import Adam\nopt = Adam(lr=1e-3, decay=1e-6)\n"
              "opt2 = tf.keras.optimizers.SGD(lr=0.01, momentum=0.9)\nopt3 = myopt.Adam(lr=1)\n"
              "opt4 = keras.optimizers.RMSprop(lr=0.1, learning_rate=0.2)\n")
    new, findings = migrate_cell(source)
    assert new == ("from keras.optimizers import Adam\nopt = Adam(learning_rate=1e-3, decay=1e-6)\n"
                   "opt2 = tf.keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)\nopt3 = myopt.Adam(lr=1)\n"
                   "opt4 = keras.optimizers.RMSprop(lr=0.1, learning_rate=0.2)\n")
    assert found(findings) == [(2, 7, "WARNING"), (2, 7, "INFO"), (3, 8, "INFO"), (5, 8, "ERROR")]
    assert ("`learning_rate=keras.optimizers.schedules.InverseTimeDecay(1e-3, decay_steps=1, decay_rate=1e-6)`"
            in findings[0].message)


def test_optimizer_lr_through_the_tf_optimizers_alias():
    # Keras 3: tf.optimizers.Adam(lr=0.01) raises "ValueError: Argument(s) not recognized: {'lr': 0.01}".
    source = "import tensorflow as tf\nopt = tf.optimizers.Adam(lr=0.01)\nopt2 = tf.optimizers.SGD(0.1)\n"
    new, findings = migrate_cell(source)
    assert new == "import tensorflow as tf\nopt = tf.optimizers.Adam(learning_rate=0.01)\nopt2 = tf.optimizers.SGD(0.1)\n"
    assert [(f.line, f.column, f.level, f.message) for f in findings] == [
        (2, 7, "INFO", "`lr=` -> `learning_rate=` (Keras 3 does not accept `lr`).")]


# compile(optimizer, loss, metrics) -------------------------------------------------------------------
REWROTE = ("compile() with positional arguments: Keras 3 reads the third as loss_weights, not metrics. Rewrote "
           "them as keywords (optimizer, loss, metrics).")


def by_hand(receiver, keywords):
    return ("compile() with positional arguments: if `{}` is a Keras model, Keras 3 reads the third as loss_weights, "
            "not metrics: name them by hand: `{}`.".format(receiver, keywords))


@pytest.mark.parametrize("source", [
    "from tensorflow import keras\nmodel = keras.Sequential([keras.Input((2,))])\n",
    "import tensorflow as tf\nmodel = tf.keras.models.Model(inp, out)\n",
    "from keras.models import load_model\nmodel = load_model('m.keras')\n",
    "from tensorflow.keras.applications import VGG16\nmodel = VGG16(weights=None)\n",
    "import keras\nmodel = keras.applications.resnet50.ResNet50()\n",
])
def test_positional_compile_on_a_certain_keras_model_is_rewritten(source):
    new, findings = migrate_cell(source + "model.compile('adam', 'mse', ['mae'])\n")
    assert new == source + "model.compile(optimizer='adam', loss='mse', metrics=['mae'])\n"
    assert [(f.line, f.level, f.message) for f in findings] == [(3, "WARNING", REWROTE)]


@pytest.mark.parametrize("source, receiver", [
    ("t = env.compile(source, name, filename)\n", "env"),  # jinja2's Environment.compile
    ("model.compile(source, name, filename)\n", "model"),  # bound elsewhere
    ("import keras\nmodel = keras.Sequential()\nmodel = env\nmodel.compile(source, name, filename)\n", "model"),
    ("import keras\nmodel.compile(source, name, filename)\nmodel = keras.Sequential()\n", "model"),  # before
    ("import keras\ndef f(model):\n    model.compile(source, name, filename)\nmodel = keras.Sequential()\n",
     "model"),  # a parameter
    ("import keras\nmodels = [keras.Sequential()]\nmodels[0].compile(source, name, filename)\n", "models[0]"),
])
def test_positional_compile_on_anything_else_is_reported_not_rewritten(source, receiver):
    new, findings = migrate_cell(source)
    assert new == source
    assert [(f.level, f.message) for f in findings] == [
        ("WARNING", by_hand(receiver, "optimizer=source, loss=name, metrics=filename"))]


def test_positional_compile_on_a_model_built_in_a_function():
    source = ("from tensorflow import keras\ndef build():\n    model = keras.Sequential()\n"
              "    model.compile('adam', 'mse', ['mae'])\n    return model\nmodel = build()\n"
              "model.compile('sgd', 'mse', ['mae'])\n")
    new, findings = migrate_cell(source)
    assert new == source.replace("model.compile('adam', 'mse', ['mae'])",
                                 "model.compile(optimizer='adam', loss='mse', metrics=['mae'])")
    assert [(f.line, f.level, f.message) for f in findings] == [
        (4, "WARNING", REWROTE), (7, "WARNING", by_hand("model", "optimizer='sgd', loss='mse', metrics=['mae']"))]


def test_positional_compile_on_a_model_bound_once_in_an_earlier_cell():
    first = "from tensorflow.keras.models import Sequential\nmodel = Sequential()\n"
    again = "model = make()\n"
    for cells, rewritten in (([first], True), ([first, again], False), (["model = keras.Sequential()\n"], False)):
        nb = new_notebook(cells=[new_code_cell(c) for c in [*cells, "model.compile('adam', 'mse', ['mae'])"]])
        result = migrate_notebook(nb)
        assert result.notebook.cells[-1].source == ("model.compile(optimizer='adam', loss='mse', metrics=['mae'])"
                                                    if rewritten else "model.compile('adam', 'mse', ['mae'])")
        assert [(f.cell, f.level, f.message) for f in result.findings] == [
            (len(cells) + 1, "WARNING",
             REWROTE if rewritten else by_hand("model", "optimizer='adam', loss='mse', metrics=['mae']"))]


# modules Keras 3 moved or removed --------------------------------------------------------------------
@pytest.mark.parametrize("before, after", [
    ("from tensorflow.keras.layers.experimental.preprocessing import Rescaling, RandomFlip\n",
     "from tensorflow.keras.layers import Rescaling, RandomFlip\n"),
    ("from keras.layers.experimental import preprocessing\nx = preprocessing.Rescaling(1/255)\n",
     "from keras import layers as preprocessing\nx = preprocessing.Rescaling(1/255)\n"),
    ("from tensorflow.keras.layers.experimental import preprocessing as pp\n",
     "from tensorflow.keras import layers as pp\n"),
    ("x = tf.keras.layers.experimental.preprocessing.Rescaling(1./255)(inp)\n",
     "x = tf.keras.layers.Rescaling(1./255)(inp)\n"),
    ("from keras.utils.np_utils import to_categorical\n", "from keras.utils import to_categorical\n"),
    ("y = keras.utils.np_utils.to_categorical(y, 10)\n", "y = keras.utils.to_categorical(y, 10)\n"),
    ("from tensorflow.keras.utils import np_utils\n", "from tensorflow.keras import utils as np_utils\n"),
])
def test_moved_modules_are_rewritten(before, after):
    new, findings = migrate_cell(before)
    assert new == after and [f.level for f in findings] == ["INFO"]


@pytest.mark.parametrize("source, fix", [
    ("from tensorflow.keras.layers.experimental.preprocessing import Rescaling, RandomHeight\n", "RandomHeight"),
    ("from keras.layers.experimental.preprocessing import *\n", "*"),
    ("from keras_preprocessing.image import load_img\n", "keras.utils.load_img"),
    ("import keras_preprocessing\n", "keras.utils.pad_sequences"),
    ("from tensorflow.keras.preprocessing.image import ImageDataGenerator, load_img\n",
     "image_dataset_from_directory"),
    ("gen = tf.keras.preprocessing.image.ImageDataGenerator(rescale=1/255)\n", "RandomFlip"),
    ("import keras.utils.np_utils\n", "keras.utils"),
])
def test_removed_modules_are_reported_with_the_replacement(source, fix):
    new, findings = migrate_cell(source)
    assert new == source and [f.level for f in findings] == ["ERROR"] and fix in findings[0].message


def test_image_helpers_that_keras3_keeps_are_left_alone():
    source = ("from tensorflow.keras.preprocessing.image import load_img, img_to_array, array_to_img\n"
              "x = keras.preprocessing.image.img_to_array(keras.preprocessing.image.load_img('a.png'))\n")
    assert migrate_cell(source) == (source, [])


# .output_shape --------------------------------------------------------------------------------------
def test_output_shape_of_layers_is_rewritten_and_other_receivers_reported():
    source = ("s = model.layers[-1].output_shape\nt = model.get_layer('conv').output_shape\n"
              "u = model.output_shape\n")
    new, findings = migrate_cell(source)
    assert new == ("s = model.layers[-1].output.shape\nt = model.get_layer('conv').output.shape\n"
                   "u = model.output_shape\n")
    assert found(findings) == [(1, 5, "INFO"), (2, 5, "INFO"), (3, 5, "WARNING")]
    assert "use `model.output.shape`" in findings[-1].message


# the softmax trick, save/load paths, .h5 ----------------------------------------------------------
SOFTMAX_TRICK = ("model.layers[-1].activation = keras.activations.linear\n"
                 "model.save('tmp_model')\nmodel = keras.models.load_model('tmp_model')\n")


def test_softmax_trick_gets_logits_hint_and_a_consistent_keras_path():
    new, findings = migrate_cell(SOFTMAX_TRICK)
    assert new == ("model.layers[-1].activation = keras.activations.linear\n"
                   "model.save('tmp_model.keras')\nmodel = keras.models.load_model('tmp_model.keras')\n")
    assert found(findings) == [(1, 1, "INFO"), (2, 1, "INFO"), (3, 9, "INFO")]
    assert "logits=True" in findings[0].message
    for value in ("None", "'linear'", "tf.keras.activations.linear"):
        assert "logits=True" in migrate_cell("model.layers[-1].activation = {}\n".format(value))[1][0].message
    assert migrate_cell("model.layers[-1].activation = keras.activations.relu\n")[1] == []


def test_path_bound_once_to_a_literal_is_fixed_at_the_binding():
    source = "path = 'tmp_model'\nmodel.save(path)\nmodel = load_model(path)\n"
    new, findings = migrate_cell(source)
    assert new == "path = 'tmp_model.keras'\nmodel.save(path)\nmodel = load_model(path)\n"
    assert found(findings) == [(1, 1, "INFO")]


@pytest.mark.parametrize("source, levels", [
    ("path = 'tmp_model'\nmodel.save(path)\nmodel = load_model(path)\nshutil.rmtree(path)\n", ["WARNING", "ERROR"]),
    ("model.save('tmp_model')\nmodel = load_model('tmp_model')\nos.path.exists('tmp_model')\n",
     ["WARNING", "ERROR"]),
    ("path = 'a'\npath = 'b'\nmodel.save(path)\nmodel = load_model(path)\n", ["WARNING", "WARNING"]),
    ("model.save('only_saved')\n", ["WARNING"]),
    ("model = load_model('saved_model_dir')\n", ["ERROR"]),
    ("model = tf.keras.models.load_model('exported/')\n", ["ERROR"]),
    ("model.save(out_path)\nmodel = load_model(out_path)\n", ["WARNING", "WARNING"]),
    ("img.save('out.png')\nmodel.save('m.keras')\nmodel = load_model('m.keras')\n", []),
])
def test_paths_that_cannot_be_fixed_safely_are_reported(source, levels):
    new, findings = migrate_cell(source)
    assert new == source and [f.level for f in findings] == levels


def test_models_saved_or_loaded_through_paths_migrate_cannot_read_are_reported():
    source = textwrap.dedent("""\
        def export(model, export_dir, img, path, x):
            model.save(export_dir)
            self.model.save(args.out)
            img.save(path)
            np.save(path, x)
            model.save(f"{name}.keras")
            model.save(base + ".h5")
            return load_model(export_dir)
    """)
    new, findings = migrate_cell(source)
    assert new == source
    assert found(findings) == [(2, 5, "WARNING"), (3, 5, "WARNING"), (8, 12, "WARNING")]
    assert "cannot tell what `export_dir` holds: make sure it ends in `.keras`." in findings[0].message
    assert "`args.out`" in findings[1].message
    assert findings[2].message.startswith("Keras 3 loads only `.keras` and `.h5` model files")
    assert "keras.layers.TFSMLayer(path, call_endpoint='serving_default')" in findings[2].message
    assert migrate_cell(source, target="tf-keras")[1] == []

def test_h5_load_warns_and_points_to_tf_keras():
    new, findings = migrate_cell("model = load_model('weights/cnn.h5')\n")
    assert found(findings) == [(1, 9, "WARNING")]
    assert "--target tf-keras" in findings[0].message and "TF_USE_LEGACY_KERAS=1" in findings[0].message
    assert migrate_cell("model = load_model('weights/cnn.h5')\n", target="tf-keras")[1] == []


def test_notebook_save_and_load_in_different_cells():
    nb = new_notebook(cells=[new_code_cell("model.layers[-1].activation = None\nmodel.save('tmp')"),
                             new_code_cell("from keras.models import load_model\nm = load_model('tmp')")])
    result = migrate_notebook(nb)
    assert [c.source for c in result.notebook.cells] == [
        "model.layers[-1].activation = None\nmodel.save('tmp.keras')",
        "from keras.models import load_model\nm = load_model('tmp.keras')"]
    assert [(f.cell, f.line, f.level) for f in result.findings] == [(1, 1, "INFO"), (1, 2, "INFO"), (2, 2, "INFO")]


def test_tf_keras_target_leaves_keras2_code_alone():
    source = ("model.fit_generator(gen, 10, workers=2)\nopt = Adam(lr=0.1)\n"
              "from keras.layers.experimental.preprocessing import Rescaling\nmodel.save('m')\n"
              "model = load_model('m')\ns = model.layers[0].output_shape\n")
    new, findings = migrate_cell(source, target="tf-keras")
    assert new == source.replace("from keras.layers", "from tf_keras.layers")  # tf-keras's own Keras 2 import
    assert found(findings) == [(3, 1, "INFO")]


# the rewritten code runs on Keras 3 ------------------------------------------------------------------
LEGACY_TRAINING = textwrap.dedent("""\
    import numpy as np
    import tensorflow as tf
    from tensorflow import keras
    from tensorflow.keras.layers.experimental.preprocessing import Rescaling
    from tensorflow.keras.utils.np_utils import to_categorical
    from tensorflow.keras.optimizers import Adam

    model = keras.Sequential([keras.Input((4, 4, 1)), Rescaling(1 / 255.0), keras.layers.Flatten(),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(Adam(lr=0.01), "categorical_crossentropy", ["accuracy"])

    def batches():
        rng = np.random.default_rng(0)
        while True:
            yield rng.uniform(0, 255, (8, 4, 4, 1)).astype("float32"), to_categorical(rng.integers(0, 3, 8), 3)

    model.fit_generator(batches(), 2, 1, verbose=0, workers=2, use_multiprocessing=False)
    probabilities = model.predict_generator(batches(), 1)
    assert model.output_shape == (None, 3), model.output_shape
    assert model.layers[-1].output_shape == (None, 3)
    assert model.get_layer(index=1).output_shape == (None, 16)
    model.layers[-1].activation = keras.activations.linear
    model.save("tmp_model")
    reloaded = keras.models.load_model("tmp_model")
    print("ok", probabilities.shape, float(model.optimizer.learning_rate.numpy()))
""")


@pytest.mark.slow
@pytest.mark.once
def test_rewritten_keras2_training_script_runs_on_keras3(tmp_path):
    new, findings = migrate_cell(LEGACY_TRAINING)
    assert not [f for f in findings if f.level == "ERROR"], findings
    script = tmp_path / "migrated.py"
    script.write_text(new)
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}  # Keras 3 whatever the world
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "ok (8, 3) 0.009999999776482582"
    assert (tmp_path / "tmp_model.keras").is_file()


# the README's sample report is this script's real report -------------------------------------------
XRAY_APP = """!pip install -q eli5==0.11.0
import tensorflow as tf; tf.compat.v1.disable_eager_execution()
from tensorflow.python.framework.ops import disable_eager_execution
from tensorflow import keras
from tensorflow.keras.layers.experimental.preprocessing import Rescaling
from tensorflow.keras.preprocessing.image import ImageDataGenerator, load_img, img_to_array
import eli5

def build():
    disable_eager_execution()
    model = keras.Sequential([keras.Input((64, 64, 3)), Rescaling(1 / 255.0),
                              keras.layers.Conv2D(8, 3, activation="relu"), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(keras.optimizers.Adam(lr=1e-3, decay=1e-6), "categorical_crossentropy", ["accuracy"])
    return model

model = build()
train = ImageDataGenerator(rescale=1 / 255.0).flow_from_directory("xrays/", target_size=(64, 64))
model.fit_generator(train, 20, 3, workers=4, use_multiprocessing=True)
print(model.layers[2].output_shape)
model.layers[-1].activation = keras.activations.linear
model.save("tmp_model")
model = keras.models.load_model("tmp_model")
legacy = keras.models.load_model("weights/cnn_keras2.h5")
doc = img_to_array(load_img("patient.png", target_size=(64, 64)))[None]
eli5.show_prediction(model, doc)
"""


def test_readme_sample_report_is_the_real_one(tmp_path, capsys, monkeypatch):
    (tmp_path / "xray_app.py").write_text(XRAY_APP)
    monkeypatch.chdir(tmp_path)
    assert main(["migrate", "xray_app.py", "--check"]) == 1
    out = capsys.readouterr().out
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    sample = readme.split("```\nTarget: keras3 (Keras 3 on TensorFlow 2.16+)\nxray_app.py:1:1:", 1)[1].split("```", 1)[0]
    assert out == "Target: keras3 (Keras 3 on TensorFlow 2.16+)\nxray_app.py:1:1:" + sample
    migrated = migrate_cell(XRAY_APP)[0]
    assert len(migrated.splitlines()) == len(XRAY_APP.splitlines())


def test_second_migration_changes_nothing():
    once = migrate_cell(XRAY_APP)[0]
    twice, findings = migrate_cell(once)
    assert twice == once
    assert [f.level for f in findings] == ["ERROR", "WARNING", "INFO", "WARNING"]  # the reports stay
