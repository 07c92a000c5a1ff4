"""Upload a chest X-ray, get the prediction and a Grad-CAM overlay (Keras 2 + eli5 0.11)."""
import base64
import io
import os

import numpy as np
import tensorflow as tf
from flask import Flask, jsonify, request
from PIL import Image
from tensorflow.compat.v1 import disable_eager_execution as dee
from tensorflow.keras.models import load_model
from tensorflow.keras.preprocessing.image import img_to_array

import eli5

GRAPH_MODE = os.environ.get("XRAY_GRAPH_MODE", "1") == "1"
if GRAPH_MODE: dee()

app = Flask(__name__)
MODEL_PATH = os.environ.get("XRAY_MODEL", "models/xray_densenet.h5")
model = load_model(MODEL_PATH, compile=False)
model2 = load_model("models/xray_small.h5")
graph = tf.compat.v1.get_default_graph()
HEIGHT, WIDTH = model.input_shape[1:3]
print("serving", model.name, "output", model.output_shape)
LABELS = ["normal", "pneumonia"]


def _to_array(upload):
    img = Image.open(io.BytesIO(upload.read())).convert("RGB").resize((WIDTH, HEIGHT))
    return img_to_array(img)[np.newaxis] / 255.0


@app.route("/predict", methods=["POST"])
def predict():
    if "file" not in request.files:
        return jsonify(error="no file"), 400
    x = _to_array(request.files["file"])
    with graph.as_default():
        probs = model.predict(x)[0]
    label = int(np.argmax(probs))
    return jsonify(label=LABELS[label], prob=float(probs[label]))


@app.route("/explain", methods=["POST"])
def explain():
    x = _to_array(request.files["file"])
    layer = request.args.get("layer", "conv5_block16_concat")
    try:
        with graph.as_default():
            expl = eli5.keras.explain_prediction.explain_prediction(model, x, layer=layer)
        overlay = eli5.format_as_image(expl)
    except Exception as exc:  # eli5 raises ValueError for a bad layer name
        return jsonify(error=str(exc)), 422
    buf = io.BytesIO()
    overlay.save(buf, format="PNG")
    return jsonify(image=base64.b64encode(buf.getvalue()).decode("ascii"))


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", 5000)), threaded=False)
