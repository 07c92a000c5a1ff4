"""Train a small CNN on the lesion crops in data/train/<class>/, then check predictions with Grad-CAM."""
import glob
import os

import numpy as np
import tensorflow as tf
from PIL import Image
from tensorflow import keras

import eli5_compat as eli5

CLASSES = sorted(os.listdir("data/train"))
SIZE = (32, 32)


def read_folder(folder):
    xs, ys = [], []
    for label, name in enumerate(CLASSES):
        for path in sorted(glob.glob(os.path.join(folder, name, "*.png"))):
            xs.append(np.asarray(Image.open(path).convert("RGB").resize(SIZE), dtype="float32"))
            ys.append(label)
    return np.stack(xs), keras.utils.to_categorical(ys, len(CLASSES))


def batches(x, y, size=2):
    while True:
        idx = np.random.randint(0, len(x), size)
        yield x[idx], y[idx]


def build():
    model = keras.models.Sequential([
        keras.layers.InputLayer(input_shape=SIZE + (3,)),
        keras.layers.Rescaling(1. / 255),
        keras.layers.RandomFlip("horizontal"),
        keras.layers.Conv2D(8, 3, activation="relu", name="conv1"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(8, 3, activation="relu", name="conv2"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(len(CLASSES), activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9), loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def main():
    if tf.__version__.startswith("2."):
        pass  # eli5-compat migrate: removed tf.compat.v1.disable_eager_execution() (Keras 3 needs eager execution)  # for eli5
    np.random.seed(0)
    x, y = read_folder("data/train")
    model = build()
    print("conv2 output:", model.layers[4].output.shape)
    model.fit(batches(x, y), steps_per_epoch=1, epochs=1, verbose=0)
    loss, acc = model.evaluate(batches(x, y), steps=1, verbose=0)
    print("loss {:.3f} acc {:.2f}".format(loss, acc))
    os.makedirs("gradcam", exist_ok=True)
    for i in range(0, len(x), 2):
        try:
            expl = eli5.explain_prediction(model, x[i:i + 1], [int(np.argmax(y[i]))], "conv2")
            eli5.format_as_image(expl).save(os.path.join("gradcam", "{}.png".format(i)))
        except Exception as exc:
            print("could not explain image", i, exc)


if __name__ == "__main__":
    main()
    print("CORPUS-END")
