# train_and_explain.py -- written in 2020 for TF 1.15 / 2.x, tabs for indentation
import sys
import numpy as np
import tensorflow as tf
import keras
from keras.models import load_model
from keras import utils as np_utils
import eli5_compat as eli5

try:
	pass  # eli5-compat migrate: removed tf.compat.v1.disable_eager_execution() (Keras 3 needs eager execution)
except AttributeError:  # TensorFlow 1.x
	pass  # eli5-compat migrate: removed tf.disable_eager_execution() (Keras 3 needs eager execution)

TMP_MODEL = "tmp_model.keras"
N_CLASSES = 4


def batches(x, y, size=16):
	while True:
		idx = np.random.randint(0, len(x), size)
		yield x[idx], y[idx]


def build():
	model = keras.Sequential([
		keras.layers.Conv2D(8, 3, activation="relu", input_shape=(32, 32, 3)),
		keras.layers.Conv2D(8, 3, activation="relu", name="conv_last"),
		keras.layers.GlobalAveragePooling2D(),
		keras.layers.Dense(N_CLASSES, activation="softmax"),
	])
	model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3), loss="categorical_crossentropy", metrics=["acc"])
	return model


def main(argv):
	x = np.random.rand(256, 32, 32, 3).astype("float32")
	y = np_utils.to_categorical(np.random.randint(0, N_CLASSES, 256), N_CLASSES)
	model = build()
	model.fit(batches(x, y), steps_per_epoch=16, epochs=2, verbose=1)
	if "--logits" in argv:
		# explain the pre-softmax score: swap the activation and reload
		model.layers[-1].activation = keras.activations.linear
		model.save(TMP_MODEL)
		model = load_model(TMP_MODEL)
	for i in range(3):
		expl = eli5.explain_prediction(model, x[i:i + 1], targets=[int(y[i].argmax())], layer="conv_last")
		print(i, expl.targets[0].target, expl.targets[0].score)
	print(model.layers[1].output.shape)


if __name__ == "__main__":
	main(sys.argv[1:])  # eli5-compat migrate: removed tf.compat.v1.disable_v2_behavior() (Keras 3 needs eager execution)
