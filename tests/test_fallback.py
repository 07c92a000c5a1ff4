"""Mixed notebooks: what eli5_compat does not implement comes from an installed eli5."""
import sys
import types

import numpy as np
import pytest

import eli5_compat

pytestmark = pytest.mark.tooling  # the graph-mode environment has the real eli5 installed


@pytest.fixture
def no_eli5(monkeypatch):
    monkeypatch.setitem(sys.modules, "eli5", None)  # makes `import eli5` raise ImportError


@pytest.fixture
def fake_eli5(monkeypatch):
    calls = []
    fake = types.ModuleType("eli5")
    fake.show_weights = lambda est, **kw: calls.append(("show_weights", est)) or "weights-html"
    fake.explain_weights = lambda est, **kw: calls.append(("explain_weights", est)) or "weights"
    fake.explain_prediction = lambda est, doc, **kw: calls.append(("explain_prediction", est)) or "prediction"
    fake.show_prediction = lambda est, doc, **kw: calls.append(("show_prediction", est)) or "shown"
    monkeypatch.setitem(sys.modules, "eli5", fake)
    return calls


class LinearModel:  # stands for a scikit-learn estimator
    pass


def test_without_eli5_the_error_names_the_function_and_the_fix(no_eli5):
    with pytest.raises(AttributeError, match=r"eli5_compat.show_weights is not part of eli5_compat.*pip install eli5"):
        eli5_compat.show_weights(LinearModel())
    assert not hasattr(eli5_compat, "explain_weights")
    with pytest.raises(ImportError, match=r"eli5_compat.explain_prediction .*pip install eli5"):
        eli5_compat.explain_prediction(LinearModel(), np.zeros(3))
    with pytest.raises(ImportError, match=r"show_prediction"):
        eli5_compat.show_prediction(LinearModel(), np.zeros(3))


def test_with_eli5_non_keras_calls_pass_through(fake_eli5):
    model = LinearModel()
    assert eli5_compat.show_weights(model) == "weights-html"
    assert eli5_compat.explain_weights(model) == "weights"
    assert eli5_compat.explain_prediction(model, np.zeros(3)) == "prediction"
    assert eli5_compat.show_prediction(model, np.zeros(3)) == "shown"
    assert [name for name, _ in fake_eli5] == ["show_weights", "explain_weights", "explain_prediction", "show_prediction"]
    from eli5_compat import show_weights  # a from-import, as migrated notebooks write it

    assert show_weights is sys.modules["eli5"].show_weights


def test_keras_models_never_go_to_eli5(fake_eli5, keras):
    model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    expl = eli5_compat.explain_prediction(model, np.zeros((1, 6, 6, 1)))
    assert expl.method == "Grad-CAM" and fake_eli5 == []


def test_positional_arguments_pass_through_to_eli5(monkeypatch):
    seen = []
    fake = types.ModuleType("eli5")
    fake.explain_prediction = lambda est, doc, *args, **kw: seen.append((args, kw)) or "prediction"
    monkeypatch.setitem(sys.modules, "eli5", fake)
    assert eli5_compat.explain_prediction(LinearModel(), np.zeros(3), 5, top=2) == "prediction"
    assert seen == [((5,), {"top": 2})]
