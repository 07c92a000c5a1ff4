"""Streamlit app: upload a chest X-ray and see where the model looks.

streamlit run app.py
"""
import io

import numpy as np
import streamlit as st
import tensorflow.compat.v1 as tf1
from PIL import Image
from tensorflow import keras

import eli5

tf1.disable_eager_execution()  # eli5 needs graph mode

st.set_page_config(page_title="X-ray Grad-CAM")
st.title("Chest X-ray: where does the model look?")


@st.cache(allow_output_mutation=True)
def get_model():
    return keras.models.load_model("xray_model.h5")


model = get_model()
uploaded = st.file_uploader("Upload an X-ray", type=["png", "jpg"])
if uploaded is not None:
    img = Image.open(io.BytesIO(uploaded.read())).convert("L").resize((28, 28))
    x = np.asarray(img, dtype="float32")[None, :, :, None] / 255.0
    probs = model.predict(x)
    st.write("Pneumonia probability: {:.2f}".format(float(probs[0, 1])))
    try:
        st.image(eli5.show_prediction(model, x, alpha_limit=0.7), caption="Grad-CAM")
    except Exception as e:
        st.error("Could not explain this image: {}".format(e))
print("CORPUS-END")
