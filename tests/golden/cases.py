"""Golden cases shared by the generator (legacy eli5 0.11, TF 2.15 graph mode) and the replay tests.

Everything here must run unchanged against ``eli5`` 0.11 and against ``eli5_compat``, on
Keras 2 (TF 2.15, tf-keras) and Keras 3: models are built from ``tf.keras`` with explicit
layer names; weights and docs are stored with the goldens so both sides use the same ones.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Tuple

import numpy as np

DOC_KINDS = ("f32", "f64", "u8", "zeros", "const")
TARGETS = {"tutorial": 3, "rgb_pool": 4, "bn_act": 1, "branches": 5, "logits": 6, "untrained": 2, "rgba": 0}


def build_models(keras: Any) -> Dict[str, Any]:
    """The golden architectures, freshly built (weights are set by the caller)."""
    L = keras.layers
    models = {}
    models["tutorial"] = keras.Sequential([
        L.Input(shape=(28, 28, 1)),
        L.Conv2D(32, (3, 3), padding="same", activation="relu", name="conv2d"),
        L.Conv2D(16, (3, 3), padding="same", activation="relu", name="conv2d_1"),
        L.Conv2D(8, (3, 3), padding="same", activation="relu", name="conv2d_2"),
        L.Flatten(name="flatten"),
        L.Dense(10, activation="softmax", name="dense"),
    ], name="sequential")

    inp = L.Input(shape=(32, 32, 3), name="rgb_in")
    x = L.Conv2D(8, 3, activation="relu", name="c1")(inp)
    x = L.MaxPooling2D(2, name="pool1")(x)
    x = L.Conv2D(16, 3, padding="same", activation="relu", name="c2")(x)
    x = L.AveragePooling2D(2, name="pool2")(x)
    x = L.Conv2D(16, 3, padding="same", activation="relu", name="c3")(x)
    x = L.GlobalAveragePooling2D(name="gap")(x)
    models["rgb_pool"] = keras.Model(inp, L.Dense(5, activation="softmax", name="head")(x), name="rgb_pool")

    models["bn_act"] = keras.Sequential([
        L.Input(shape=(24, 24, 3)),
        L.Conv2D(8, 3, name="conv_a"), L.BatchNormalization(name="bn_a"), L.Activation("relu", name="act_a"),
        L.Conv2D(8, 3, name="conv_b"), L.BatchNormalization(name="bn_b"), L.Activation("relu", name="act_b"),
        L.MaxPooling2D(2, name="pool"), L.Flatten(name="flat"), L.Dense(4, activation="softmax", name="out"),
    ], name="bn_act")

    inp = L.Input(shape=(20, 20, 3), name="br_in")
    stem = L.Conv2D(8, 3, activation="relu", name="stem")(inp)
    a = L.Conv2D(8, 3, padding="same", activation="relu", name="branch_a")(stem)
    b = L.Conv2D(8, 1, activation="relu", name="branch_b")(stem)
    x = L.Concatenate(name="merge")([a, b])
    x = L.Conv2D(12, 3, activation="relu", name="post")(x)
    x = L.GlobalMaxPooling2D(name="gmp")(x)
    models["branches"] = keras.Model(inp, L.Dense(6, activation="softmax", name="probs")(x), name="branches")

    models["logits"] = keras.Sequential([
        L.Input(shape=(16, 16, 1)),
        L.Conv2D(6, 3, activation="relu", name="lc1"), L.MaxPooling2D(2, name="lpool"),
        L.Conv2D(6, 3, activation="relu", name="lc2"), L.Flatten(name="lflat"), L.Dense(7, name="logit_head"),
    ], name="logits")

    models["untrained"] = keras.Sequential([
        L.Input(shape=(28, 28, 1)),
        L.Conv2D(4, 3, activation="relu", name="u1"), L.Conv2D(4, 3, activation="relu", name="u2"),
        L.Flatten(name="uflat"), L.Dense(10, activation="softmax", name="uout"),
    ], name="untrained")

    inp = L.Input(shape=(12, 12, 4), name="rgba_in")
    x = L.Conv2D(5, 3, activation="relu", name="rc")(inp)
    x = L.GlobalAveragePooling2D(name="rgap")(x)
    models["rgba"] = keras.Model(inp, L.Dense(3, activation="softmax", name="rout")(x), name="rgba")
    return models


# A named layer, a layer index and an instance to explain, per model.
LAYER_CHOICES = {
    "tutorial": ("conv2d_1", 0, "conv2d"),
    "rgb_pool": ("c2", 2, "pool1"),
    "bn_act": ("bn_a", 4, "conv_b"),
    "branches": ("merge", 3, "stem"),
    "logits": ("lc1", 1, "lpool"),
    "untrained": ("u1", 1, "u1"),
    "rgba": ("rc", 1, "rc"),
}


def seeded_weights(model: Any, seed: int) -> List[np.ndarray]:
    """Deterministic weights with sensible scales (BatchNorm variances positive)."""
    rng = np.random.default_rng(seed)
    weights = []
    for w in model.get_weights():
        fan_in = int(np.prod(w.shape[:-1])) if w.ndim > 1 else 4
        values = rng.normal(0.0, np.sqrt(2.0 / max(fan_in, 1)), size=w.shape)
        weights.append(values.astype(w.dtype))
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            # gamma, beta, moving mean, moving variance: make the variance positive
            start = _weight_offset(model, layer)
            weights[start + 3] = np.abs(weights[start + 3]) + 0.5
            weights[start] = 1.0 + 0.2 * weights[start]
    return weights


def _weight_offset(model: Any, layer: Any) -> int:
    offset = 0
    for lay in model.layers:
        if lay is layer:
            return offset
        offset += len(lay.get_weights())
    raise ValueError(layer.name)


def make_docs(shape: Tuple[int, ...], seed: int) -> Dict[str, np.ndarray]:
    """One-image docs of every kind for an input of ``shape`` (batch axis excluded)."""
    rng = np.random.default_rng(seed)
    full = (1,) + tuple(shape)
    return {
        "f32": rng.random(full).astype(np.float32),
        "f64": rng.random(full),
        "u8": rng.integers(0, 256, size=full).astype(np.uint8),
        "zeros": np.zeros(full, np.float32),
        "const": np.full(full, 0.5, np.float32),
    }


def format_variants(matplotlib: Any, Image: Any) -> Dict[str, Dict[str, Any]]:
    """The five ``format_as_image`` calls the goldens record."""
    return {
        "default": {},
        "reds_09": {"colormap": matplotlib.cm.Reds, "alpha_limit": 0.9},
        "nearest_reds_09": {"resampling_filter": Image.NEAREST, "colormap": matplotlib.cm.Reds, "alpha_limit": 0.9},
        "no_alpha_limit": {"alpha_limit": None},
        "jet": {"colormap": matplotlib.cm.jet},
    }


def good_calls(name: str, model: Any, doc: np.ndarray) -> List[Tuple[str, Callable[[Any], Any]]]:
    """(call id, function of the eli5 module) for every entry point and layer form."""
    by_name, by_index, instance_name = LAYER_CHOICES[name]
    target = TARGETS[name]
    instance = model.get_layer(instance_name)
    return [
        ("top_dispatch", lambda e: e.explain_prediction(model, doc)),
        ("keras_module", lambda e: e.keras.explain_prediction.explain_prediction(model, doc)),
        ("keras_fn_name", lambda e: e.keras.explain_prediction.explain_prediction_keras(model, doc, layer=by_name)),
        ("keras_fn_index", lambda e: e.keras.explain_prediction.explain_prediction_keras(model, doc, layer=by_index)),
        ("instance_target", lambda e: e.explain_prediction(model, doc, targets=[target], layer=instance)),
        ("backend_none", lambda e: e.keras.gradcam_backend(model, doc, None, instance)),
        ("backend_target", lambda e: e.keras.gradcam_backend(model, doc, [target], instance)),
        ("show_prediction", lambda e: e.show_prediction(model, doc, alpha_limit=0.5, layer=by_name)),
    ]


def summarize(result: Any, e: Any, variants: Dict[str, Dict[str, Any]]) -> Tuple[Dict[str, Any], Dict[str, np.ndarray]]:
    """JSON-able facts and arrays describing a call's result, computed the same way on both sides.

    ``e`` is the eli5 module under test; ``variants`` are the ``format_as_image`` keyword
    sets to record for an image explanation (empty: none).
    """
    if isinstance(result, tuple):
        weights, activations, grads, idx, val = result
        meta = {"kind": "backend", "idx": int(idx), "idx_type": type(idx).__name__,
                "val": float(val), "val_type": type(val).__name__,
                "dtypes": [str(np.asarray(a).dtype) for a in (weights, activations, grads)]}
        heatmap = e.keras.gradcam(weights, activations)
        return meta, {"weights": weights, "activations": activations, "grads": grads, "heatmap": heatmap}
    if not hasattr(result, "targets"):  # a PIL image from show_prediction
        return {"kind": "pil", "mode": result.mode, "size": list(result.size)}, {"pixels": np.asarray(result)}
    expl = result
    meta = {"kind": "explanation", "type": type(expl).__name__, "estimator": expl.estimator,
            "description": expl.description, "error": expl.error, "method": expl.method,
            "is_regression": expl.is_regression, "highlight_spaces": expl.highlight_spaces,
            "feature_importances": expl.feature_importances, "decision_tree": expl.decision_tree,
            "transition_features": expl.transition_features, "has_image": expl.image is not None,
            "has_targets": expl.targets is not None}
    arrays: Dict[str, np.ndarray] = {}
    if expl.image is not None:
        meta["image_mode"] = expl.image.mode
        meta["image_size"] = list(expl.image.size)
        arrays["image"] = np.asarray(expl.image)
    if expl.targets is not None:
        t = expl.targets[0]
        meta.update({"n_targets": len(expl.targets), "target": int(t.target), "target_type": type(t.target).__name__,
                     "score": float(t.score), "score_type": type(t.score).__name__,
                     "proba": t.proba, "feature_weights": t.feature_weights, "weighted_spans": t.weighted_spans,
                     "heatmap_dtype": str(t.heatmap.dtype), "target_class": type(t).__name__})
        arrays["heatmap"] = t.heatmap
        for name, kwargs in variants.items():
            overlay = e.format_as_image(expl, **kwargs)
            meta["format_" + name] = [overlay.mode, list(overlay.size)]
            arrays["format_" + name] = np.asarray(overlay)
    return meta, arrays


def extra_calls(models: Dict[str, Any], docs: Dict[str, Dict[str, np.ndarray]]) -> List[Tuple[str, Callable[[Any], Any]]]:
    """Calls that give an Explanation with an error, or the image alone, rather than a heatmap."""
    model, doc = models["tutorial"], docs["tutorial"]["f32"]
    return [
        ("not_supported_rank2_doc", lambda e: e.explain_prediction(model, doc[0, :, :, 0])),
        ("not_supported_rank5_doc", lambda e: e.explain_prediction(model, doc[np.newaxis])),
        ("format_without_targets", lambda e: e.format_as_image(e.base.Explanation("x", image=e.explain_prediction(model, doc).image))),
    ]


def bad_cases() -> List[Tuple[str, str, Callable[[Any], Any]]]:
    """(case id, how to compare the message, function of a context) for the bad-input catalogue.

    The context ``c`` has: ``c.e`` (the eli5 module), ``c.m`` (models by name), ``c.d``
    (docs by model), ``c.keras``, ``c.np``, ``c.Image``, ``c.expl`` (a good explanation of
    the tutorial model), ``c.other_layer`` (a rank-4 layer of another model).
    Compare modes: ``exact``; ``prefix:N`` (first N characters; the rest names tensors);
    ``class`` (same exception class, a clearer message); ``accidental`` (legacy crashed by
    accident; eli5_compat raises the documented exception, see tests/test_golden_errors.py);
    ``superseded`` (a later issue made the call meaningful, see the same file).
    """
    T = "tutorial"
    f = lambda c: c.d[T]["f32"]  # noqa: E731
    kp = lambda c: c.e.keras.explain_prediction  # noqa: E731
    fmt = lambda c, **kw: c.e.format_as_image(c.expl, **kw)  # noqa: E731
    with_heatmap = lambda c, h: c.e.format_as_image(c.e.base.Explanation(  # noqa: E731
        "x", image=c.expl.image, targets=[c.e.base.TargetExplanation(1, heatmap=h)]))
    return [
        ("doc_python_list", "accidental", lambda c: c.e.explain_prediction(c.m[T], f(c).tolist())),
        ("doc_none", "accidental", lambda c: c.e.explain_prediction(c.m[T], None)),
        ("doc_batch_of_two", "accidental", lambda c: c.e.explain_prediction(c.m[T], c.np.concatenate([f(c), f(c)]))),
        ("doc_wrong_spatial", "exact", lambda c: c.e.explain_prediction(c.m[T], f(c)[:, :27])),
        ("doc_wrong_channels", "exact", lambda c: c.e.explain_prediction(c.m[T], c.np.repeat(f(c), 3, axis=3))),
        ("doc_two_channels", "exact", lambda c: c.e.explain_prediction(c.m[T], c.np.repeat(f(c), 2, axis=3))),
        ("doc_rank3_on_rank4_model", "superseded", lambda c: c.e.explain_prediction(c.m[T], f(c)[..., 0])),
        ("keras_doc_wrong_spatial", "exact", lambda c: kp(c).explain_prediction_keras(c.m["rgb_pool"], c.d["rgb_pool"]["f32"][:, 1:])),
        ("layer_missing_name", "exact", lambda c: c.e.explain_prediction(c.m[T], f(c), layer="nope")),
        ("layer_index_too_big", "exact", lambda c: c.e.explain_prediction(c.m[T], f(c), layer=99)),
        ("layer_index_too_negative", "class", lambda c: c.e.explain_prediction(c.m[T], f(c), layer=-99)),
        ("layer_float", "exact", lambda c: c.e.explain_prediction(c.m[T], f(c), layer=1.5)),
        ("layer_list", "exact", lambda c: c.e.explain_prediction(c.m[T], f(c), layer=["conv2d"])),
        ("layer_dense_name", "exact", lambda c: c.e.explain_prediction(c.m[T], f(c), layer="dense")),
        ("layer_flatten_index", "exact", lambda c: c.e.explain_prediction(c.m[T], f(c), layer=3)),
        ("layer_dense_instance", "exact", lambda c: c.e.explain_prediction(c.m[T], f(c), layer=c.m[T].get_layer("dense"))),
        ("layer_input_index", "exact", lambda c: c.e.explain_prediction(c.m["rgb_pool"], c.d["rgb_pool"]["f32"], layer=0)),
        ("layer_gap_name", "exact", lambda c: c.e.explain_prediction(c.m["rgb_pool"], c.d["rgb_pool"]["f32"], layer="gap")),
        ("layer_of_other_model", "prefix:99", lambda c: c.e.explain_prediction(c.m[T], f(c), layer=c.other_layer)),
        ("targets_two", "exact", lambda c: c.e.explain_prediction(c.m[T], f(c), targets=[1, 2])),
        ("targets_empty", "exact", lambda c: c.e.explain_prediction(c.m[T], f(c), targets=[])),
        ("targets_int", "exact", lambda c: c.e.explain_prediction(c.m[T], f(c), targets=3)),
        ("targets_tuple", "exact", lambda c: c.e.explain_prediction(c.m[T], f(c), targets=(3,))),
        ("targets_str", "exact", lambda c: c.e.explain_prediction(c.m[T], f(c), targets="3")),
        ("target_too_big", "exact", lambda c: c.e.explain_prediction(c.m[T], f(c), targets=[10])),
        ("target_negative", "exact", lambda c: c.e.explain_prediction(c.m[T], f(c), targets=[-1])),
        ("target_str", "exact", lambda c: c.e.explain_prediction(c.m[T], f(c), targets=["a"])),
        ("target_numpy_int", "exact", lambda c: c.e.explain_prediction(c.m[T], f(c), targets=[c.np.int64(3)])),
        ("target_float", "exact", lambda c: c.e.explain_prediction(c.m[T], f(c), targets=[2.0])),
        ("backend_targets_two", "exact", lambda c: c.e.keras.gradcam_backend(c.m[T], f(c), [1, 2], c.m[T].get_layer("conv2d"))),
        ("backend_targets_int", "exact", lambda c: c.e.keras.gradcam_backend(c.m[T], f(c), 5, c.m[T].get_layer("conv2d"))),
        ("backend_target_too_big", "exact", lambda c: c.e.keras.gradcam_backend(c.m[T], f(c), [11], c.m[T].get_layer("conv2d"))),
        ("backend_layer_as_name", "accidental", lambda c: c.e.keras.gradcam_backend(c.m[T], f(c), None, "conv2d")),
        ("alpha_too_big", "exact", lambda c: fmt(c, alpha_limit=1.5)),
        ("alpha_negative", "exact", lambda c: fmt(c, alpha_limit=-0.1)),
        ("alpha_str", "exact", lambda c: fmt(c, alpha_limit="0.5")),
        ("format_no_image", "exact", lambda c: c.e.format_as_image(c.e.base.Explanation("x", targets=c.expl.targets))),
        ("format_heatmap_above_one", "exact", lambda c: with_heatmap(c, c.np.full((4, 4), 2.0))),
        ("format_heatmap_negative", "exact", lambda c: with_heatmap(c, c.np.full((4, 4), -0.5))),
        ("format_heatmap_list", "exact", lambda c: with_heatmap(c, [[0.5, 0.5]])),
        ("heatmap_to_image_rank1", "exact", lambda c: c.e.formatters.image.heatmap_to_image(c.np.zeros(3))),
        ("heatmap_to_image_two_channels", "exact", lambda c: c.e.formatters.image.heatmap_to_image(c.np.zeros((3, 3, 2)))),
        ("expand_heatmap_not_pil", "exact", lambda c: c.e.formatters.image.expand_heatmap(c.np.zeros((3, 3)), "img")),
        ("gradcam_mismatched", "accidental", lambda c: c.e.keras.gradcam(c.np.ones(3), c.np.ones((4, 4, 2)))),
    ]


def run_good(e: Any, models: Dict[str, Any], docs: Dict[str, Dict[str, np.ndarray]],
             variants: Dict[str, Dict[str, Any]], extras: Any = None) -> Tuple[Dict[str, Any], Dict[str, np.ndarray]]:
    """Run the good calls with eli5 module ``e``: {case id: meta} and {case id/key: array}.

    Every call of every model in ``models``; with ``extras`` (models by name, the tutorial
    among them) also the :func:`extra_calls`.
    """
    records: Dict[str, Any] = {}
    arrays: Dict[str, np.ndarray] = {}

    def record(case_id: str, call: Callable[[Any], Any], wanted: Dict[str, Dict[str, Any]]) -> None:
        try:
            meta, found = summarize(call(e), e, wanted)
        except Exception as exc:  # recorded: the replay must raise the same
            meta, found = {"kind": "exception", "type": type(exc).__name__, "message": str(exc)}, {}
        records[case_id] = meta
        arrays.update({case_id + "/" + key: np.asarray(value) for key, value in found.items()})

    for name, model in models.items():
        for kind in DOC_KINDS:
            for call_id, call in good_calls(name, model, docs[name][kind]):
                record("/".join((name, kind, call_id)), call, variants if call_id == "top_dispatch" else {})
    for call_id, call in extra_calls(extras, docs) if extras else []:
        record("extra/" + call_id, call, {})
    return records, arrays


def run_bad(e: Any, context: Any) -> Dict[str, Any]:
    """Run the bad-input catalogue with eli5 module ``e``: {case id: exception facts}."""
    results: Dict[str, Any] = {}
    for case_id, compare, call in bad_cases():
        try:
            call(context)
        except Exception as exc:
            results[case_id] = {"type": type(exc).__name__, "message": str(exc), "compare": compare}
        else:
            results[case_id] = {"type": None, "message": None, "compare": compare}
    return results


def weights_seed(name: str) -> int:
    """Seed of a model's golden weights (stable across runs and Python versions)."""
    return 1000 + sorted(TARGETS).index(name)
