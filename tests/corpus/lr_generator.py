import numpy as np
from tensorflow import keras
from tensorflow.python.framework.ops import disable_eager_execution
import eli5

disable_eager_execution()
model = keras.models.load_model("model.h5")
model.compile(optimizer=keras.optimizers.Adam(lr=0.001), loss="categorical_crossentropy")
doc = np.zeros((1, 28, 28, 1), dtype="float32")
def batches():
    while True:
        yield doc


preds = model.predict_generator(batches(), steps=1, workers=2)
try:
    expl = eli5.show_prediction(model, doc)
    print(type(expl).__name__)
except Exception as exc:
    print("failed", exc)
print("CORPUS-END")
