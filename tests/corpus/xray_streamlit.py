import numpy as np
import streamlit as st
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras.layers.experimental.preprocessing import Rescaling, Resizing
from keras.preprocessing.image import load_img, img_to_array
import eli5

st.set_page_config(page_title="X-ray explainer", layout="wide")
st.title("Chest X-ray classifier with Grad-CAM")

with tf.device("/cpu:0"):
    tf.compat.v1.disable_eager_execution()


@st.cache(allow_output_mutation=True)
def load():
    base = keras.models.load_model("xray_model.h5")
    inputs = keras.Input((None, None, 3))
    x = Resizing(224, 224)(inputs)
    x = Rescaling(1.0 / 255)(x)
    return keras.Model(inputs, base(x)), base


wrapped, base = load()
conv_layers = [l.name for l in base.layers if "conv" in l.name]
layer = st.sidebar.selectbox("Layer", conv_layers, index=len(conv_layers) - 1)
alpha = st.sidebar.slider("Heatmap opacity", 0.1, 1.0, 0.65)
upload = st.file_uploader("Upload an X-ray", type=["png", "jpg", "jpeg"])

if upload is not None:
    img = load_img(upload, target_size=(224, 224))
    doc = np.expand_dims(img_to_array(img) / 255.0, 0)
    probs = base.predict(doc)[0]
    st.write("Pneumonia probability: {:.1%}".format(probs[-1]))
    col1, col2 = st.columns(2)
    col1.image(img, caption="input")
    expl = eli5.explain_prediction(base, doc, layer=layer)
    col2.image(eli5.format_as_image(expl, alpha_limit=alpha), caption="Grad-CAM ({})".format(layer))
    st.image(eli5.format_as_image(eli5.explain_prediction(base, doc, targets=[0])), caption="normal class")
