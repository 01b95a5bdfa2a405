"""Optimizer steps equal PyTorch's documented SGD and Adam updates (written
out in numpy here), and the learning-rate schedules."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from engine import Value

vector = st.lists(st.floats(-5, 5), min_size=1, max_size=6)


def leaves(data):
    return [Value(float(d)) for d in data]


def run(optimizer_class, start, gradients, **settings_):
    """Our optimizer's parameters after one step per gradient vector."""
    params = leaves(start)
    opt = optimizer_class(params, **settings_)
    for g in gradients:
        for p, gi in zip(params, g):
            p.grad = float(gi)
        opt.step()
    return np.array([p.data for p in params])


def torch_sgd(start, gradients, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
              nesterov=False):
    """torch.optim.SGD's documented algorithm, in numpy."""
    theta = np.array(start, dtype=float)
    b = None
    for g in gradients:
        g = np.array(g, dtype=float)
        if weight_decay != 0:
            g = g + weight_decay * theta
        if momentum != 0:
            b = g if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        theta = theta - lr * g
    return theta


def torch_adam(start, gradients, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    """torch.optim.Adam's documented algorithm (amsgrad off), in numpy."""
    theta = np.array(start, dtype=float)
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    for t, g in enumerate(gradients, start=1):
        g = np.array(g, dtype=float)
        if weight_decay != 0:
            g = g + weight_decay * theta
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        m_hat = m / (1 - betas[0] ** t)
        v_hat = v / (1 - betas[1] ** t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return theta


def gradients_for(start, data, steps=3):
    n = len(start)
    return [data.draw(st.lists(st.floats(-5, 5), min_size=n, max_size=n)) for _ in range(steps)]


sgd_settings = st.fixed_dictionaries({
    "lr": st.floats(0.001, 1.0),
    "momentum": st.sampled_from([0.0, 0.5, 0.9]),
    "weight_decay": st.sampled_from([0.0, 1e-4, 0.1]),
})


@given(vector, sgd_settings, st.booleans(), st.data())
@settings(max_examples=60)
def test_sgd_steps_equal_pytorchs_formula(start, config, nesterov, data):
    nesterov = nesterov and config["momentum"] > 0
    if not nesterov and config["momentum"] > 0:
        config["dampening"] = data.draw(st.sampled_from([0.0, 0.1]))
    gradients = gradients_for(start, data)
    ours = run(nn.SGD, start, gradients, nesterov=nesterov, **config)
    expected = torch_sgd(start, gradients, nesterov=nesterov, **config)
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-12)


@given(vector, st.floats(1e-4, 0.5), st.sampled_from([(0.9, 0.999), (0.5, 0.9)]),
       st.sampled_from([0.0, 1e-2]), st.data())
@settings(max_examples=60)
def test_adam_steps_equal_pytorchs_formula(start, lr, betas, weight_decay, data):
    gradients = gradients_for(start, data, steps=4)
    ours = run(nn.Adam, start, gradients, lr=lr, betas=betas, weight_decay=weight_decay)
    expected = torch_adam(start, gradients, lr=lr, betas=betas, weight_decay=weight_decay)
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-12)


def test_first_steps_by_hand():
    assert run(nn.SGD, [1.0], [[0.5]], lr=0.1).tolist() == [0.95]
    # Adam's first step moves each parameter by lr against the gradient's sign
    np.testing.assert_allclose(run(nn.Adam, [1.0, 1.0], [[3.0, -0.2]], lr=0.01),
                               [0.99, 1.01], rtol=1e-9)


def test_matches_torch_when_installed():
    torch = pytest.importorskip("torch")
    start, gradients = [0.5, -1.5, 2.0], [[0.1, -0.3, 0.7], [0.2, 0.1, -0.4], [1.0, 0, 0]]
    cases = [(nn.SGD, torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True,
                                        "weight_decay": 0.01}),
             (nn.Adam, torch.optim.Adam, {"lr": 0.05, "weight_decay": 0.01})]
    for ours_class, theirs_class, config in cases:
        theta = torch.tensor(start, dtype=torch.float64, requires_grad=True)
        opt = theirs_class([theta], **config)
        for g in gradients:
            theta.grad = torch.tensor(g, dtype=torch.float64)
            opt.step()
        np.testing.assert_allclose(run(ours_class, start, gradients, **config),
                                   theta.detach().numpy(), rtol=1e-12)


def test_optimizer_arguments_are_checked():
    p = [Value(1.0)]
    with pytest.raises(ValueError, match="SGD lr"):
        nn.SGD(p, lr=-1)
    with pytest.raises(ValueError, match="nesterov"):
        nn.SGD(p, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        nn.Adam(p, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="no parameters"):
        nn.Adam([])
    with pytest.raises(TypeError, match="Values"):
        nn.SGD([1.0])


def test_zero_grad():
    params = leaves([1.0, 2.0])
    for p in params:
        p.grad = 3.0
    nn.SGD(params, lr=0.1).zero_grad()
    assert [p.grad for p in params] == [0.0, 0.0]


def test_linear_schedule_is_micrograds():
    schedule = nn.linear(1.0, 0.1, 100)
    assert [schedule(k) for k in range(100)] == [1.0 - 0.9 * k / 100 for k in range(100)]
    assert schedule(100) == pytest.approx(0.1) and schedule(150) == schedule(100)


def test_cosine_and_constant_schedules():
    schedule = nn.cosine(1.0, 0.0, 10)
    assert schedule(0) == 1.0 and schedule(5) == pytest.approx(0.5)
    assert schedule(10) == pytest.approx(0.0) and schedule(20) == schedule(10)
    assert all(schedule(k) >= schedule(k + 1) for k in range(10))
    assert schedule(3) == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.3)))
    assert nn.constant(0.3)(42) == 0.3
    with pytest.raises(ValueError, match="steps"):
        nn.cosine(1.0, 0.1, 0)


def _snapshot(opt):
    """The parameters' values and every piece of optimizer state (moments, buffers, steps)."""
    return [p.data for p in opt.params], {k: repr(v) for k, v in vars(opt).items()
                                          if k != "params"}


@pytest.mark.parametrize("make", [
    lambda ps: nn.Adam(ps, lr=0.1),
    lambda ps: nn.SGD(ps, lr=1e200),
    lambda ps: nn.SGD(ps, lr=1e200, momentum=0.9),
])
def test_an_overflowing_step_raises_by_name_and_changes_nothing(make):
    model = nn.MLP(2, [2, 1], seed=0)
    opt = make(model.parameters())
    for p in opt.params:
        p.grad = 0.5
    opt.step()  # a normal step first, so there is state to keep
    before = _snapshot(opt)
    opt.params[4].grad = 1e200  # Adam: g*g overflows its second moment; SGD: lr*g overflows
    with pytest.raises(OverflowError, match=r"\.step: parameter 4 \(layers\.0\.neurons\.1\.w1\)"
                                            r" \(gradient 1e\+200\).*nothing was changed"):
        opt.step()
    assert _snapshot(opt) == before
    opt.params[4].grad = 0.5  # the optimizer goes on as if the bad step never happened
    opt.step()
    assert opt.steps == 2 and all(math.isfinite(p.data) for p in opt.params)
