"""REST API: POST an image to /predict or /explain (Grad-CAM overlay as PNG)."""
import io

import numpy as np
import tensorflow as tf
from flask import Flask, jsonify, request, send_file
from PIL import Image
from tensorflow.keras.models import load_model

import eli5_compat as eli5

app = Flask(__name__)
model = None


def init_model():
    global model
    # eli5-compat migrate: removed tf.compat.v1.disable_eager_execution() (Keras 3 needs eager execution)  # eli5's Grad-CAM needs graph mode
    model = load_model("weights/xray_cnn.h5")


def preprocess(data):
    img = Image.open(io.BytesIO(data)).convert("RGB").resize((32, 32))
    return np.expand_dims(np.asarray(img, dtype=np.float32) / 255.0, axis=0)


@app.route("/predict", methods=["POST"])
def predict():
    x = preprocess(request.files["image"].read())
    probs = model.predict(x)[0]
    return jsonify({"class": int(probs.argmax()), "prob": float(probs.max())})


@app.route("/explain", methods=["POST"])
def explain():
    x = preprocess(request.files["image"].read())
    try:
        expl = eli5.explain_prediction(model, x)
        heat = eli5.format_as_image(expl, alpha_limit=0.8)
    except Exception as e:
        return jsonify({"error": str(e)})
    buf = io.BytesIO()
    heat.save(buf, format="PNG")
    buf.seek(0)
    return send_file(buf, mimetype="image/png")


if __name__ == "__main__":
    init_model()
    app.run(host="0.0.0.0", port=5000)
    print("CORPUS-END")
