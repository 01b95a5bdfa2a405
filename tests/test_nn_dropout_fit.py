"""Dropout inside an MLP, trained with ``fit`` and used with ``predict``; and
the text progress bar. Training mode drops at random (scalar mode only: a
compiled program would repeat one set of drops); evaluation mode, used for
validation and for predictions, drops nothing."""

from __future__ import annotations

import numpy as np
import pytest

import nn


def twins(p: float = 0.5) -> tuple[nn.MLP, nn.MLP]:
    """The same network, seeded alike, with and without dropout."""
    return nn.MLP(2, [6, 6, 1], seed=3, dropout=p), nn.MLP(2, [6, 6, 1], seed=3)


def noisy_set() -> tuple[np.ndarray, np.ndarray]:
    X, y = nn.make_moons(n_samples=16, noise=0.3, seed=0)
    return X, y


def test_dropout_does_not_change_the_weights_drawn() -> None:
    dropped, plain = twins()
    assert dropped.state_dict() == plain.state_dict()
    assert [type(m).__name__ for m in dropped.modules()].count("Dropout") == 2
    assert "Dropout(p=0.5)" in repr(dropped) and "Dropout" not in repr(plain)


def test_train_mode_drops_and_eval_mode_is_the_plain_network() -> None:
    dropped, plain = twins()
    x = [0.4, -0.7]
    masks = set()
    for _ in range(20):
        dropped([0.4, -0.7])
        masks.add(tuple(dropped.dropouts[0].last_mask))
    assert len(masks) > 1  # fresh drops at every call
    dropped.eval()
    assert dropped(x).data == plain(x).data
    assert dropped.dropouts[0].last_mask == [1] * 6


def test_config_keeps_dropout_and_a_plain_mlp_config_is_unchanged(tmp_path) -> None:
    dropped, plain = twins(0.25)
    assert dropped.config()["dropout"] == 0.25
    assert "dropout" not in plain.config()
    nn.save(dropped, tmp_path / "m.json")
    loaded = nn.load(tmp_path / "m.json")
    assert isinstance(loaded, nn.MLP) and loaded.dropout == 0.25
    assert loaded.state_dict() == dropped.state_dict()


def test_bad_dropout_probability_is_refused() -> None:
    with pytest.raises(ValueError, match="Dropout p"):
        nn.MLP(2, [3, 1], dropout=1.0)


def test_batched_fit_refuses_random_drops_and_accepts_eval_mode() -> None:
    X, y = noisy_set()
    dropped, _ = twins()
    with pytest.raises(ValueError, match="Dropout"):
        nn.fit(dropped, X, y, steps=1, batched=True, progress=False)
    dropped.eval()
    history = nn.fit(dropped, X, y, steps=2, batched=True, progress=False)
    assert len(history["loss"]) == 2


def test_scalar_fit_drops_in_training_and_validates_in_eval_mode() -> None:
    X, y = noisy_set()
    dropped, plain = twins()
    kwargs = dict(loss="hinge", lr=0.05, steps=3, validation=(X, y), progress=False)
    with_drops = nn.fit(dropped, X, y, **kwargs)
    without = nn.fit(plain, X, y, **kwargs)
    # same initial weights: the first validation score (before any update) is the same,
    # because validation drops nothing, while the training loss saw drops
    assert with_drops["val_loss"][0] == without["val_loss"][0]
    assert with_drops["loss"][0] != without["loss"][0]
    assert all(m.training for m in dropped.modules())  # the mode it had is restored


def test_predict_refuses_random_drops_unless_scalar_or_eval() -> None:
    X, _ = noisy_set()
    dropped, plain = twins()
    with pytest.raises(ValueError, match=r"model\.eval\(\)"):
        nn.predict(dropped, X)
    assert nn.predict(dropped, X, batched=False).shape == (len(X),)
    dropped.eval()
    np.testing.assert_array_equal(nn.predict(dropped, X), nn.predict(plain, X))


def test_text_progress_bar_is_written_and_bad_settings_are_refused(capsys) -> None:
    X, y = noisy_set()
    model = nn.MLP(2, [3, 1], seed=0)
    nn.fit(model, X, y, steps=4, batched=True, progress="text")
    shown = capsys.readouterr().err
    assert "training" in shown and "4/4" in shown
    with pytest.raises(ValueError, match="progress"):
        nn.fit(model, X, y, steps=1, progress="widget")  # type: ignore[arg-type]
