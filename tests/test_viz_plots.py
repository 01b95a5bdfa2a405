"""Decision boundaries and training curves (matplotlib, the 'plot' extra)."""

import numpy as np
import pytest

from engine import Value, is_grad_enabled
from viz import plot_decision_boundary, plot_history

matplotlib = pytest.importorskip("matplotlib")

X = np.array([[-1.0, -1.0], [-0.5, -1.0], [1.0, 1.0], [0.8, 1.2]])
y = np.array([-1, -1, 1, 1])


def test_vectorised_predict_and_atomic_save(tmp_path):
    fig = plot_decision_boundary(lambda p: p[:, 0] + p[:, 1], X, y, path=tmp_path / "b.png")
    assert isinstance(fig, matplotlib.figure.Figure)
    assert (tmp_path / "b.png").read_bytes().startswith(b"\x89PNG")
    assert [p.name for p in tmp_path.iterdir()] == ["b.png"]


def test_class_scores_use_argmax():
    labels = np.array([0, 0, 1, 2])
    fig = plot_decision_boundary(lambda p: np.column_stack([-p[:, 0], p[:, 0], p[:, 1]]),
                                 X, labels, resolution=10)
    assert fig.axes


def test_a_scalar_model_is_run_per_sample_without_recording():
    calls = []

    def model(sample):
        assert isinstance(sample, list) and all(type(v) is float for v in sample)
        calls.append(is_grad_enabled())
        w = Value(1.0)
        return w * sample[0] + w * sample[1]

    fig = plot_decision_boundary(model, X, y, resolution=12)
    assert len(calls) == 1 + 12 * 12 and not any(calls)  # one probe, then the grid
    assert fig.axes[0].collections  # filled regions and points


def test_history_curves(tmp_path):
    history = {"loss": [1.0, 0.5, 0.2], "accuracy": [0.5, 0.8, 1.0],
               "val_loss": [1.1, 0.7, 0.4], "val_accuracy": [0.4, 0.7, 0.9]}
    fig = plot_history(history, path=tmp_path / "h.svg")
    assert len(fig.axes) == 2
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]
    assert list(fig.axes[0].lines[0].get_xdata()) == [1, 2, 3]  # steps counted from 1
    assert "<svg" in (tmp_path / "h.svg").read_text()
    assert len(plot_history({"loss": [3.0, 2.0]}).axes) == 1


def test_bad_input_is_named():
    with pytest.raises(ValueError, match=r"plot_decision_boundary: X must have shape"):
        plot_decision_boundary(lambda p: p[:, 0], np.zeros((3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="resolution"):
        plot_decision_boundary(lambda p: p[:, 0], X, y, resolution=1)
    with pytest.raises(ValueError, match="NaN"):
        plot_decision_boundary(lambda p: p[:, 0] * np.nan, X, y, resolution=4)
    with pytest.raises(ValueError, match="'loss'"):
        plot_history({"accuracy": [1.0]})
    with pytest.raises(ValueError, match=r"history\['loss'\]\[1\]"):
        plot_history({"loss": [1.0, float("nan")]})
    with pytest.raises(TypeError, match=r"history\['loss'\]\[0\]: expected a real number"):
        plot_history({"loss": ["1.0"]})
    with pytest.raises(TypeError, match="plot_decision_boundary: the model's output"):
        plot_decision_boundary(lambda p: [Value(1.0), "x"], X, y, resolution=4, batched=False)
