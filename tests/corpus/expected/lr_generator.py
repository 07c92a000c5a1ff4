import numpy as np
from tensorflow import keras
# eli5-compat migrate: removed the import of disable_eager_execution (unused now)
import eli5_compat as eli5

# eli5-compat migrate: removed disable_eager_execution() (Keras 3 needs eager execution)
model = keras.models.load_model("model.h5")
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="categorical_crossentropy")
doc = np.zeros((1, 28, 28, 1), dtype="float32")
def batches():
    while True:
        yield doc


preds = model.predict(batches(), steps=1, verbose=0)
try:
    expl = eli5.show_prediction(model, doc)
    print(type(expl).__name__)
except Exception as exc:
    print("failed", exc)
print("CORPUS-END")
