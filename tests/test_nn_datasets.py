"""Seeded toy datasets, sklearn parity for moons, and the digits split."""

import numpy as np
import pytest
import sklearn.datasets as skd

import nn
from nn.datasets import DATASETS, train_test_split


def test_moons_reproduce_sklearn_after_the_global_seed():
    np.random.seed(1337)
    X_sk, y_sk = skd.make_moons(n_samples=100, noise=0.1)
    np.random.seed(1337)
    X, y = nn.make_moons(n_samples=100, noise=0.1)
    assert np.array_equal(X, X_sk) and np.array_equal(y, y_sk)


@pytest.mark.parametrize("n, noise, seed", [(7, None, 0), (50, 0.3, 12)])
def test_moons_and_circles_match_sklearn_for_a_seed(n, noise, seed):
    for ours, theirs in [(nn.make_moons, skd.make_moons), (nn.make_circles, skd.make_circles)]:
        X, y = ours(n, noise=noise, seed=seed)
        X_sk, y_sk = theirs(n_samples=n, noise=noise, random_state=seed)
        assert np.array_equal(X, X_sk) and np.array_equal(y, y_sk)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_dataset_is_seeded_shaped_and_labelled(name):
    X, y = DATASETS[name](60, seed=3)
    X2, y2 = DATASETS[name](60, seed=3)
    X3, _ = DATASETS[name](60, seed=4)
    assert np.array_equal(X, X2) and np.array_equal(y, y2) and not np.array_equal(X, X3)
    assert X.shape == (60, 2) and X.dtype == float and y.shape == (60,)
    assert y.dtype.kind == "i" and y.min() == 0 and len(np.unique(y)) >= 2
    assert np.all(np.isfinite(X))


def test_dataset_specifics():
    X, y = nn.make_xor(200, seed=0)
    assert np.array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(int))
    X, y = nn.make_spirals(90, classes=3, seed=0)
    assert np.bincount(y).tolist() == [30, 30, 30]
    X, y = nn.make_blobs(90, centers=3, std=0.1, seed=0)
    centres = np.array([X[y == k].mean(axis=0) for k in range(3)])
    assert np.allclose(np.linalg.norm(centres, axis=1), 2.0, atol=0.1)


def test_bad_dataset_arguments():
    with pytest.raises(ValueError, match="make_moons n_samples"):
        nn.make_moons(1)
    with pytest.raises(ValueError, match="noise"):
        nn.make_circles(10, noise=-1)
    with pytest.raises(ValueError, match="factor"):
        nn.make_circles(10, factor=2)
    with pytest.raises(TypeError, match="seed"):
        nn.make_xor(10, seed="x")


def test_train_test_split_is_seeded_and_disjoint():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    split = train_test_split(X, y, test_fraction=0.3, seed=1)
    assert len(split.y_test) == 3 and len(split.y_train) == 7
    assert sorted([*split.y_train, *split.y_test]) == list(range(10))
    assert np.array_equal(split.X_test[:, 0] / 2, split.y_test)
    assert np.array_equal(split.y_test, train_test_split(X, y, 0.3, seed=1).y_test)
    with pytest.raises(ValueError, match="test_fraction"):
        train_test_split(X, y, test_fraction=1.0)


def test_digits_load_offline_scaled_and_split():
    split = nn.load_digits(test_fraction=0.25, seed=0)
    assert split.X_train.shape == (1348, 64) and split.X_test.shape == (449, 64)
    assert split.X_train.min() == 0.0 and split.X_train.max() == 1.0
    assert set(np.unique(split.y_train)) == set(range(10))
    assert np.array_equal(split.y_test, nn.load_digits(seed=0).y_test)


def test_digits_without_sklearn_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"pip install glassgrad\[digits\]"):
        nn.load_digits()
