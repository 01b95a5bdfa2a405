"""nn.Neuron / Layer / MLP: micrograd parity (live), and what goes beyond it."""

import random

import micrograd.nn as mg
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from engine import Value
from nn.init import INITS


def both(nin, nouts, seed=1337):
    """An MLP from micrograd and one from glassgrad, made after the same seed."""
    random.seed(seed)
    theirs = mg.MLP(nin, list(nouts))
    random.seed(seed)
    ours = nn.MLP(nin, list(nouts))
    return theirs, ours


@given(st.integers(1, 4), st.lists(st.integers(2, 5), min_size=1, max_size=3),
       st.integers(0, 2**32 - 1))
@settings(max_examples=25)
def test_mlp_draws_micrograds_weights_and_computes_its_floats(nin, nouts, seed):
    theirs, ours = both(nin, nouts, seed)
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    assert repr(ours) == repr(theirs)
    x = [random.uniform(-2, 2) for _ in range(nin)]
    out_theirs, out_ours = theirs(x), ours(x)
    if isinstance(out_theirs, list):
        assert [o.data for o in out_ours] == [o.data for o in out_theirs]
    else:
        assert isinstance(out_ours, Value)
        assert out_ours.data == out_theirs.data


def test_reprs_and_attributes_are_micrograds():
    random.seed(0)
    model = nn.MLP(2, [16, 16, 1])
    assert repr(model.layers[0].neurons[0]) == "ReLUNeuron(2)"
    assert repr(model.layers[2].neurons[0]) == "LinearNeuron(16)"
    assert repr(model.layers[2]) == "Layer of [LinearNeuron(16)]"
    assert repr(model).startswith("MLP of [Layer of [ReLUNeuron(2), ")
    neuron = model.layers[1].neurons[3]
    assert len(neuron.w) == 16 and neuron.b.data == 0.0 and neuron.nonlin is True
    assert model.layers[2].neurons[0].nonlin is False
    assert len(model.parameters()) == 337
    assert repr(nn.Neuron(3, nonlin=False)) == "LinearNeuron(3)"
    assert repr(nn.Neuron(3, activation="gelu")) == "GELUNeuron(3)"
    assert repr(nn.Neuron(3, activation="tanh")) == "TanhNeuron(3)"


def test_a_single_output_layer_returns_a_value_others_a_list():
    assert isinstance(nn.Layer(2, 1)([1.0, 2.0]), Value)
    out = nn.Layer(2, 3)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3


def test_gradients_match_micrograd_after_backward():
    theirs, ours = both(3, [4, 4, 1])
    x = [0.5, -1.5, 2.0]
    (theirs(x) * theirs(x)).backward()
    (ours(x) * ours(x)).backward()
    assert [p.grad for p in ours.parameters()] == pytest.approx(
        [p.grad for p in theirs.parameters()], rel=1e-12, abs=1e-12)


def test_hidden_layers_of_width_one_work():
    # micrograd breaks here: its width-1 layer returns a Value the next one cannot zip.
    random.seed(3)
    with pytest.raises(TypeError):
        mg.MLP(2, [1, 1])([1.0, 2.0])
    model = nn.MLP(2, [1, 1, 3], seed=3)
    assert len(model([1.0, 2.0])) == 3
    assert isinstance(nn.MLP(1, [1, 1])(0.5), Value)


@pytest.mark.parametrize("x", [[0.5, -1.0], (0.5, -1.0), np.array([0.5, -1.0]),
                               [np.float64(0.5), np.float32(-1.0)],
                               [Value(0.5), -1.0]])
def test_inputs_may_be_lists_tuples_arrays_or_values(x):
    model = nn.MLP(2, [3, 1], seed=7)
    assert model(x).data == model([0.5, -1.0]).data


@pytest.mark.parametrize("bad, error", [([1.0], ValueError), ([1.0, 2.0, 3.0], ValueError),
                                       ("ab", TypeError), (np.ones((2, 2)), ValueError),
                                       ({1.0, 2.0}, TypeError)])
def test_wrong_inputs_are_named(bad, error):
    with pytest.raises(error, match="MLP"):
        nn.MLP(2, [3, 1], seed=0)(bad)


def test_bad_sizes_and_choices_raise_clearly():
    with pytest.raises(ValueError, match="nin"):
        nn.MLP(0, [2])
    with pytest.raises(ValueError, match="layer size"):
        nn.MLP(2, [3, 0])
    with pytest.raises(ValueError, match="nouts"):
        nn.MLP(2, [])
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        nn.MLP(2, [3, 1], activation="swish")
    with pytest.raises(ValueError, match="one activation per layer"):
        nn.MLP(2, [3, 1], activation=["tanh"])
    with pytest.raises(ValueError, match="unknown initialisation"):
        nn.Neuron(2, init="zeros")
    with pytest.raises(TypeError, match="seed"):
        nn.MLP(2, [1], seed="1")


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid", "gelu", "softplus"])
def test_activations_are_the_engines_ops(name):
    neuron = nn.Neuron(2, activation=name, seed=1)
    x = [0.3, -0.7]
    pre = neuron.b.data + sum(w.data * xi for w, xi in zip(neuron.w, x))
    out = neuron(x)
    assert out.op is nn.activation_op(name)
    assert out.data == nn.activation_op(name)(pre)


def test_linear_activation_and_per_layer_activations():
    model = nn.MLP(2, [3, 3, 2], activation=["tanh", "sigmoid", "linear"], seed=2)
    assert [layer.neurons[0].activation for layer in model.layers] == [
        "tanh", "sigmoid", "linear"]
    hidden = nn.MLP(2, [3, 1], activation="gelu", output_activation="sigmoid", seed=2)
    assert repr(hidden) == ("MLP of [Layer of [GELUNeuron(2), GELUNeuron(2), GELUNeuron(2)], "
                            "Layer of [SigmoidNeuron(3)]]")


def test_seed_gives_reproducible_weights_without_touching_global_random():
    random.seed(11)
    before = random.getstate()
    a = nn.MLP(3, [4, 2], seed=5)
    assert random.getstate() == before
    b = nn.MLP(3, [4, 2], seed=random.Random(5))
    c = nn.MLP(3, [4, 2], seed=6)
    assert a.state_dict() == b.state_dict() != c.state_dict()


@pytest.mark.parametrize("init", sorted(INITS))
def test_initialisations_have_their_documented_spread(init):
    model = nn.MLP(64, [64, 1], init=init, seed=0)
    weights = np.array([w.data for n in model.layers[0].neurons for w in n.w])
    expected_std = {"uniform": 1 / np.sqrt(3), "xavier": np.sqrt(2 / 128),
                    "glorot": np.sqrt(2 / 128), "he": np.sqrt(2 / 64),
                    "kaiming": np.sqrt(2 / 64)}[init]
    assert weights.std() == pytest.approx(expected_std, rel=0.05)
    assert all(n.b.data == 0.0 for n in model.layers[0].neurons)


def test_nodes_know_where_they_were_made():
    model = nn.MLP(2, [3, 2, 1], seed=0)
    w = model.layers[1].neurons[1].w[2]
    assert (w.scope, w.label) == ("layers.1.neurons.1", "w2")
    assert model.layers[0].neurons[0].b.label == "b"
    out = model([1.0, 2.0])
    assert out.scope == "layers.2.neurons.0"
    scopes = set()
    stack = [out]
    while stack:
        node = stack.pop()
        scopes.add(node.scope)
        stack.extend(node.children)
    assert {"layers.0.neurons.2", "layers.1.neurons.1"} <= scopes


def test_named_parameters_follow_scope_and_label():
    model = nn.MLP(2, [2, 1], seed=0)
    named = model.named_parameters()
    assert [name for name, _ in named][:4] == [
        "layers.0.neurons.0.w0", "layers.0.neurons.0.w1", "layers.0.neurons.0.b",
        "layers.0.neurons.1.w0"]
    assert all(name == f"{p.scope}.{p.label}" for name, p in named)
    assert [p for _, p in named] == model.parameters()


def test_zero_grad_and_state_dict_round_trip():
    model = nn.MLP(2, [3, 1], seed=0)
    model([1.0, -1.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())
    state = model.state_dict()
    other = nn.MLP(2, [3, 1], seed=1)
    other.load_state_dict(state)
    assert other.state_dict() == state


def test_load_state_dict_is_all_or_nothing():
    model = nn.MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    bad_value = dict(before, **{"layers.1.neurons.0.b": float("nan")})
    missing = {k: v for k, v in before.items() if k != "layers.0.neurons.0.w0"}
    extra = dict(before, extra=1.0)
    wrong_type = dict(before, **{"layers.1.neurons.0.b": "1.0"})
    for state, error in [(bad_value, ValueError), (missing, ValueError), (extra, ValueError),
                         (wrong_type, TypeError), ([1.0], TypeError)]:
        with pytest.raises(error, match="load_state_dict"):
            model.load_state_dict(state)
        assert model.state_dict() == before


@pytest.mark.parametrize("make, message", [
    (lambda: nn.MLP(2, [10**9]), r"MLP\(2, \[1000000000\]\): 3,000,000,000 parameters"),
    (lambda: nn.Layer(10**5, 10**5), r"Layer\(100000, 100000\): 10,000,100,000 parameters"),
    (lambda: nn.Neuron(10**7), r"Neuron\(10000000\): 10,000,001 parameters"),
    (lambda: nn.Linear(10**4, 10**4), r"Linear\(10000, 10000\): 100,010,000 parameters"),
    (lambda: nn.Embedding(10**6, 16), r"Embedding\(1000000, 16\): 16,000,000 parameters"),
])
def test_sizes_over_max_parameters_are_refused_before_allocating(make, message):
    from nn.limits import MAX_PARAMETERS

    with pytest.raises(ValueError, match=message + rf".*MAX_PARAMETERS = {MAX_PARAMETERS:,}"):
        make()


def test_the_largest_allowed_layer_is_just_under_the_bound():
    from nn.limits import MAX_PARAMETERS, check_parameter_count

    check_parameter_count(MAX_PARAMETERS, "a model")  # allowed: no error
    with pytest.raises(ValueError, match=f"a model: {MAX_PARAMETERS + 1:,} parameters"):
        check_parameter_count(MAX_PARAMETERS + 1, "a model")
