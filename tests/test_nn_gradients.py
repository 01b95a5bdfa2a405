"""Gradients through nn: every parameter of an MLP's loss, and every loss,
against central finite differences."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from engine.testing import gradcheck
from nn.losses import l2_penalty, mean

smooth = st.sampled_from(["tanh", "sigmoid", "gelu", "softplus"])
coordinate = st.floats(-3, 3, allow_nan=False)


def finite_difference(loss_of_model, p, eps=1e-6):
    """d loss / d p by a central difference, restoring p afterwards."""
    start = p.data
    p.data = start + eps
    up = loss_of_model().data
    p.data = start - eps
    down = loss_of_model().data
    p.data = start
    return (up - down) / (2 * eps)


def assert_every_parameter_gradient(model, loss_of_model):
    model.zero_grad()
    loss_of_model().backward()
    for name, p in model.named_parameters():
        numeric = finite_difference(loss_of_model, p)
        assert p.grad == pytest.approx(numeric, rel=1e-4, abs=1e-6), name


@given(st.integers(1, 3), st.lists(st.integers(1, 3), min_size=1, max_size=2), smooth,
       st.integers(0, 1000), st.lists(coordinate, min_size=9, max_size=9))
@settings(max_examples=20)
def test_mlp_loss_gradient_of_every_parameter(nin, hidden, activation, seed, numbers):
    model = nn.MLP(nin, [*hidden, 2], activation=activation, seed=seed)
    xs = [numbers[i * nin:(i + 1) * nin] for i in range(3)]
    targets = [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]

    def loss_of_model():
        losses = [nn.softmax_cross_entropy(model(x), t) for x, t in zip(xs, targets)]
        return mean(losses) + l2_penalty(model.parameters(), 1e-3)

    assert_every_parameter_gradient(model, loss_of_model)


def test_micrograds_demo_loss_gradient_of_every_parameter():
    model = nn.MLP(2, [4, 4, 1], seed=1)  # ReLU: points chosen away from kinks
    data = [([0.3, -1.2], 1.0), ([1.1, 0.4], -1.0), ([-0.6, 0.9], 1.0)]

    def loss_of_model():
        return (mean([nn.hinge(model(x), y) for x, y in data])
                + l2_penalty(model.parameters(), 1e-4))

    assert_every_parameter_gradient(model, loss_of_model)


@given(st.lists(coordinate, min_size=1, max_size=4), st.data())
@settings(max_examples=50)
def test_mse_gradient(outputs, data):
    targets = data.draw(st.lists(coordinate, min_size=len(outputs), max_size=len(outputs)))
    assert gradcheck(lambda *o: nn.mse(list(o), targets), outputs)


@given(st.floats(-30, 30), st.floats(0, 1))
def test_binary_cross_entropy_gradient(logit, target):
    assert gradcheck(lambda z: nn.binary_cross_entropy(z, target), [logit])


@given(st.lists(st.floats(-30, 30), min_size=2, max_size=5), st.data())
def test_softmax_cross_entropy_gradient(logits, data):
    label = data.draw(st.integers(0, len(logits) - 1))
    one_hot = [1.0 if j == label else 0.0 for j in range(len(logits))]
    assert gradcheck(lambda *z: nn.softmax_cross_entropy(list(z), one_hot), logits)


@given(st.lists(st.floats(-30, 30), min_size=1, max_size=5))
def test_logsumexp_value_and_gradient(values):
    # max written with abs has a kink at ties, but logsumexp's two halves cancel
    # it: the gradient is right even where values are equal.
    biggest = max(values)
    exact = biggest + math.log(sum(math.exp(v - biggest) for v in values))
    assert nn.logsumexp(values) == pytest.approx(exact, rel=1e-12, abs=1e-12)
    assert gradcheck(lambda *v: nn.logsumexp(list(v)), values)


def test_losses_stay_finite_far_out():
    assert nn.logsumexp([1000.0, 1000.0]) == pytest.approx(1000.0 + math.log(2))
    assert nn.softmax_cross_entropy([1000.0, -1000.0], [0.0, 1.0]) == pytest.approx(2000.0)
    assert nn.binary_cross_entropy(800.0, 0.0) == pytest.approx(800.0)
    assert nn.binary_cross_entropy(-800.0, 0.0) == pytest.approx(0.0)
    assert nn.binary_cross_entropy(-800.0, 1.0) == pytest.approx(800.0)
    logits = [nn.Neuron(1, seed=0).b + v for v in (900.0, -900.0, 0.0)]
    loss = nn.softmax_cross_entropy(logits, [0.0, 0.0, 1.0])
    loss.backward()
    assert loss.data == pytest.approx(900.0)
    assert logits[0].grad == pytest.approx(1.0) and logits[2].grad == pytest.approx(-1.0)


def test_losses_reject_mismatched_sizes():
    with pytest.raises(ValueError, match="mse"):
        nn.mse([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="softmax_cross_entropy"):
        nn.softmax_cross_entropy([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="at least 2"):
        nn.softmax_cross_entropy([1.0], [1.0])


@given(st.floats(-3, 3).filter(lambda s: abs(1 - abs(s)) > 1e-3), st.sampled_from([-1.0, 1.0]))
def test_hinge_gradient(score, target):
    assert gradcheck(lambda s: nn.hinge(s, target), [score])


@given(st.lists(coordinate, min_size=1, max_size=5), st.floats(0, 2))
def test_l2_penalty_gradient(params, alpha):
    assert gradcheck(lambda *p: l2_penalty(p, alpha), params)
