# train_and_explain.py -- written in 2020 for TF 1.15 / 2.x, tabs for indentation
import sys
import numpy as np
import tensorflow as tf
import keras
from keras.models import load_model
from keras.utils import np_utils
import eli5

try:
	tf.compat.v1.disable_eager_execution()
except AttributeError:  # TensorFlow 1.x
	tf.disable_eager_execution()

TMP_MODEL = "tmp_model"
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
	model.compile(keras.optimizers.RMSprop(lr=1e-3), "categorical_crossentropy", ["acc"])
	return model


def main(argv):
	x = np.random.rand(256, 32, 32, 3).astype("float32")
	y = np_utils.to_categorical(np.random.randint(0, N_CLASSES, 256), N_CLASSES)
	model = build()
	model.fit_generator(batches(x, y), 16, 2, 1)
	if "--logits" in argv:
		# explain the pre-softmax score: swap the activation and reload
		model.layers[-1].activation = keras.activations.linear
		model.save(TMP_MODEL)
		model = load_model(TMP_MODEL)
	for i in range(3):
		expl = eli5.explain_prediction(model, x[i:i + 1], targets=[int(y[i].argmax())], layer="conv_last")
		print(i, expl.targets[0].target, expl.targets[0].score)
	print(model.layers[1].output_shape)


if __name__ == "__main__":
	tf.compat.v1.disable_v2_behavior(); main(sys.argv[1:])
