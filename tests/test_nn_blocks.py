"""The Transformer building blocks of nn: Linear, softmax/log_softmax,
Embedding, RMSNorm, LayerNorm, BatchNorm, Dropout, the step activation and
causal self-attention — values against numpy (and PyTorch when installed),
gradients against central finite differences (engine.testing defaults:
eps 1e-6, atol 1e-5, rtol 1e-3), saving and loading."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from engine import Value, no_grad
from engine.testing import gradcheck, gradcheck_parameters

finite = st.floats(-30, 30, allow_nan=False)


def values(xs: list[float]) -> list[Value]:
    return [Value(x) for x in xs]


def data(xs: list) -> list[float]:
    return [x.data if isinstance(x, Value) else x for x in xs]


# -- softmax, log_softmax ------------------------------------------------------

@given(st.lists(finite, min_size=1, max_size=8))
@settings(max_examples=50)
def test_softmax_is_numpys_and_sums_to_one(xs: list[float]) -> None:
    z = np.array(xs)
    expected = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    got = data(nn.softmax(values(xs)))
    assert np.allclose(got, expected, rtol=1e-12, atol=1e-15)
    assert math.isclose(sum(got), 1.0, rel_tol=1e-12)
    assert np.allclose(data(nn.log_softmax(values(xs))), np.log(expected), atol=1e-9)


def test_softmax_is_stable_for_huge_scores() -> None:
    probs = data(nn.softmax([Value(1000.0), Value(1001.0), Value(-1000.0)]))
    assert probs[2] == 0.0 and math.isclose(probs[1], 1 / (1 + math.exp(-1)))
    logs = data(nn.log_softmax([Value(1000.0), Value(-1000.0)]))
    assert logs[0] == 0.0 and logs[1] == -2000.0
    assert data(nn.softmax([2.0, 2.0])) == [0.5, 0.5]  # plain floats in, floats out


def test_the_shift_is_a_max_node_in_the_graph() -> None:
    out = nn.softmax(values([0.1, 0.7, 0.3]))[0]
    from engine import topological_order

    assert any(node.op is not None and node.op.name == "maximum"
               for node in topological_order(out))


@pytest.mark.parametrize("fn", [nn.softmax, nn.log_softmax])
@pytest.mark.parametrize("target", [0, 2])
def test_softmax_gradients(fn, target) -> None:
    assert gradcheck(lambda *z: fn(list(z))[target] * 1.5, [0.3, -1.2, 2.0, 0.05])


def test_softmax_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="softmax"):
        nn.softmax([])


# -- step ------------------------------------------------------------------------

def test_step_activation_is_a_threshold_with_zero_derivative() -> None:
    assert [nn.step(x) for x in (-2.0, 0.0, 1e-9, 3.0)] == [0.0, 0.0, 1.0, 1.0]
    x = Value(0.4)
    y = nn.step(x * 2.0)
    y.backward()
    assert y.data == 1.0 and x.grad == 0.0
    perceptron = nn.Neuron(2, activation="step", seed=0)
    assert repr(perceptron) == "StepNeuron(2)"
    assert perceptron([1.0, -1.0]).data in (0.0, 1.0)
    assert nn.step.on_arrays(np.array([-1.0, 0.0, 2.0])).tolist() == [0.0, 0.0, 1.0]


# -- Linear, Embedding ------------------------------------------------------------

def test_linear_is_a_matrix_product() -> None:
    layer = nn.Linear(3, 2, seed=0)
    for b in layer.b:
        b.data = 0.5
    W = np.array([[w.data for w in row] for row in layer.w])
    x = [0.2, -1.0, 3.0]
    assert np.allclose(data(layer(x)), W @ np.array(x) + 0.5, atol=1e-14)
    assert len(layer.parameters()) == 8
    no_bias = nn.Linear(3, 2, bias=False, seed=0)
    assert len(no_bias.parameters()) == 6 and repr(no_bias) == "Linear(3, 2, bias=False)"
    assert abs(np.std([w.data for w in nn.Linear(40, 40, seed=1).parameters()]) - 0.08) < 0.01
    with pytest.raises(ValueError, match="expected 3 input"):
        layer([1.0])


def test_linear_gradients() -> None:
    layer = nn.Linear(3, 2, seed=2)
    x = [0.5, -0.3, 1.2]
    assert gradcheck_parameters(lambda: sum(o * o for o in layer(x)),
                                dict(layer.named_parameters()))


def test_embedding_returns_its_own_rows() -> None:
    table = nn.Embedding(5, 3, seed=0)
    row = table(2)
    assert row == table.weight[2] and len(table.parameters()) == 15
    (row[0] * 2.0 + row[1]).backward()
    assert [p.grad for p in table.weight[2]] == [2.0, 1.0, 0.0]
    assert all(p.grad == 0.0 for r in (0, 1, 3, 4) for p in table.weight[r])
    with pytest.raises(IndexError, match="out of range"):
        table(5)
    with pytest.raises(TypeError, match="integer index"):
        table(1.0)


# -- norms -------------------------------------------------------------------------

@given(st.lists(st.floats(-5, 5), min_size=2, max_size=6))
@settings(max_examples=40)
def test_norms_equal_their_formulas(xs: list[float]) -> None:
    x = np.array(xs)
    rms = x / np.sqrt(np.mean(x * x) + 1e-5)
    assert np.allclose(data(nn.RMSNorm(len(xs))(values(xs))), rms, atol=1e-9)
    layer = (x - x.mean()) / np.sqrt(x.var() + 1e-5)
    assert np.allclose(data(nn.LayerNorm(len(xs))(values(xs))), layer, atol=1e-9)


def test_norm_gradients() -> None:
    x = [0.3, -1.1, 2.0, 0.7]
    rms = nn.RMSNorm(4, affine=True)
    layer = nn.LayerNorm(4)
    for norm in (rms, layer):
        for i, (g, b) in enumerate(zip(norm.g, norm.b)):
            g.data, b.data = 1.0 + 0.1 * i, -0.2 * i
        assert gradcheck(lambda *v, n=norm: sum(o * w for o, w in zip(n(list(v)), x)), x)
        assert gradcheck_parameters(lambda n=norm: sum(o * w for o, w in zip(n(x), x)),
                                    dict(norm.named_parameters()))
    assert nn.RMSNorm(4).parameters() == [] and len(layer.parameters()) == 8


def test_batchnorm_train_and_eval_statistics() -> None:
    batch = [[1.0, 10.0], [3.0, 14.0], [5.0, 18.0]]
    norm = nn.BatchNorm(2, momentum=0.5)
    out = np.array([data(row) for row in norm(batch)])
    X = np.array(batch)
    assert np.allclose(out, (X - X.mean(0)) / np.sqrt(X.var(0) + 1e-5), atol=1e-9)
    assert np.allclose(norm.running_mean, 0.5 * X.mean(0))
    assert np.allclose(norm.running_var, 0.5 + 0.5 * X.var(0, ddof=1))
    norm.eval()
    single = data(norm([[3.0, 14.0]])[0])
    expected = (np.array([3.0, 14.0]) - norm.running_mean) / np.sqrt(
        np.array(norm.running_var) + 1e-5)
    assert np.allclose(single, expected)
    norm.train()
    with pytest.raises(ValueError, match="2 or more samples"):
        norm([[1.0, 2.0]])


def test_batchnorm_gradients_flow_through_the_batch_statistics() -> None:
    batch = [[0.5, -1.0], [1.5, 0.3], [-0.7, 2.2], [0.1, 0.4]]
    weights = [[0.3, -0.8], [1.1, 0.2], [-0.5, 0.9], [0.7, 0.6]]

    def loss(*flat: Value) -> Value:
        rows = [list(flat[i:i + 2]) for i in range(0, len(flat), 2)]
        out = nn.BatchNorm(2)(rows)
        return sum(o * w for row, ws in zip(out, weights) for o, w in zip(row, ws))

    assert gradcheck(loss, [x for row in batch for x in row])


def test_batchnorm_saves_its_running_statistics(tmp_path) -> None:
    norm = nn.BatchNorm(2)
    norm([[1.0, 2.0], [3.0, 5.0]])
    norm.g[1].data = 2.5
    path = tmp_path / "bn.json"
    nn.save(norm, path)
    again = nn.load(path)
    assert isinstance(again, nn.BatchNorm)
    assert again.running_mean == norm.running_mean and again.running_var == norm.running_var
    assert again.g[1].data == 2.5
    with pytest.raises(ValueError, match="running statistics"):
        again.load_state_dict({k: v for k, v in norm.state_dict().items()
                               if k != "running_var.1"})
    assert again.running_var == norm.running_var


# -- dropout and modes ---------------------------------------------------------------

def test_dropout_is_seeded_and_only_drops_in_training() -> None:
    x = values([1.0] * 1000)
    drop = nn.Dropout(0.25, seed=7)
    out = data(drop(x))
    kept = [o for o in out if o != 0.0]
    assert set(kept) == {1.0 / 0.75}
    assert 200 < out.count(0.0) < 300
    assert data(nn.Dropout(0.25, seed=7)(x)) == out
    assert drop.last_mask == [0 if o == 0.0 else 1 for o in out]
    drop.eval()
    assert drop(x) == x
    with pytest.raises(ValueError, match="probability"):
        nn.Dropout(1.0)


def test_train_and_eval_switch_the_whole_tree() -> None:
    model = nn.GPT(5, n_embd=4, n_head=2, block_size=4, seed=0)
    assert model.eval() is model
    assert all(not m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    assert model.layers[0].attn.wq in model.modules()


def test_dropout_gradient_is_the_mask() -> None:
    x = values([1.0, 2.0, 3.0, 4.0])
    drop = nn.Dropout(0.5, seed=1)
    total = sum(drop(x))
    total.backward()
    assert [v.grad for v in x] == [2.0 * kept for kept in drop.last_mask]


# -- attention ------------------------------------------------------------------------

def test_attention_equals_the_matrix_formula() -> None:
    attn = nn.CausalSelfAttention(4, 2, seed=0)
    xs = [[0.3, -0.2, 0.5, 1.0], [-0.4, 0.8, 0.1, -0.6], [0.9, 0.2, -0.3, 0.4]]
    cache = nn.KVCache()
    with no_grad():
        got = [data(attn(x, cache)) for x in xs]
    W = {name: np.array([[w.data for w in row] for row in getattr(attn, name).w])
         for name in ("wq", "wk", "wv", "wo")}
    X = np.array(xs)
    Q, K, V = X @ W["wq"].T, X @ W["wk"].T, X @ W["wv"].T
    heads = []
    for h in range(2):
        s = slice(2 * h, 2 * h + 2)
        scores = Q[:, s] @ K[:, s].T / math.sqrt(2) + np.triu(np.full((3, 3), -np.inf), 1)
        weights = np.exp(scores - scores.max(1, keepdims=True))
        weights /= weights.sum(1, keepdims=True)
        heads.append(weights @ V[:, s])
        assert np.allclose([cache.weights[t][h] for t in range(3)][2], weights[2])
    assert np.allclose(got, np.hstack(heads) @ W["wo"].T, atol=1e-12)


def test_attention_gradients() -> None:
    attn = nn.CausalSelfAttention(4, 2, seed=1)
    xs = [[0.3, -0.2, 0.5, 1.0], [-0.4, 0.8, 0.1, -0.6]]

    def loss() -> Value:
        cache = nn.KVCache()
        outs = [attn(x, cache) for x in xs]
        return sum(o * (0.1 * i + 0.3) for i, o in enumerate(outs[-1] + outs[0]))

    assert gradcheck_parameters(loss, dict(attn.named_parameters()))


# -- saving every block -------------------------------------------------------------

@pytest.mark.parametrize("module", [
    nn.Linear(3, 2, seed=0), nn.Embedding(4, 3, seed=0), nn.RMSNorm(3, affine=True),
    nn.LayerNorm(3), nn.Dropout(0.1), nn.CausalSelfAttention(4, 2, seed=0),
    nn.Block(4, 2, seed=0), nn.GPT(6, n_embd=4, n_head=2, block_size=5, seed=0),
], ids=lambda m: type(m).__name__)
def test_every_block_saves_and_loads(module, tmp_path) -> None:
    path = tmp_path / "m.json"
    nn.save(module, path)
    again = nn.load(path)
    assert type(again) is type(module) and again.config() == module.config()
    assert again.state_dict() == module.state_dict()


# -- PyTorch, when installed ----------------------------------------------------------

def test_gpt_loss_and_gradients_match_pytorch() -> None:
    torch = pytest.importorskip("torch")
    model = nn.GPT(nn.CharTokenizer(["abc"]), n_embd=4, n_head=2, block_size=5, seed=0)
    loss = model.loss("cab")
    loss.backward()
    tensors = {name: torch.tensor(p.data, dtype=torch.float64, requires_grad=True)
               for name, p in model.named_parameters()}

    def matrix(prefix: str, rows: int, cols: int):
        return torch.stack([torch.stack([tensors[f"{prefix}.{r}.{c}"] for c in range(cols)])
                            for r in range(rows)])

    wte, wpe = matrix("wte.weight", 4, 4), matrix("wpe.weight", 5, 4)
    head = matrix("lm_head.w", 4, 4)
    attn = {n: matrix(f"layers.0.attn.{n}.w", 4, 4) for n in ("wq", "wk", "wv", "wo")}
    fc1, fc2 = matrix("layers.0.fc1.w", 16, 4), matrix("layers.0.fc2.w", 4, 16)

    def rms(x):
        return x / torch.sqrt((x * x).mean(-1, keepdim=True) + 1e-5)

    ids = model.tokenizer.document("cab")
    T = len(ids) - 1
    x = rms(wte[ids[:-1]] + wpe[:T])
    h = rms(x)
    q, k, v = h @ attn["wq"].T, h @ attn["wk"].T, h @ attn["wv"].T
    mask = torch.triu(torch.full((T, T), float("-inf"), dtype=torch.float64), 1)
    heads = []
    for i in range(2):
        s = slice(2 * i, 2 * i + 2)
        w = torch.softmax(q[:, s] @ k[:, s].T / math.sqrt(2) + mask, -1)
        heads.append(w @ v[:, s])
    x = x + torch.cat(heads, -1) @ attn["wo"].T
    x = x + torch.relu(rms(x) @ fc1.T) @ fc2.T
    logits = x @ head.T
    ref = torch.nn.functional.cross_entropy(logits, torch.tensor(ids[1:]))
    ref.backward()
    assert abs(ref.item() - loss.data) < 1e-12
    for name, p in model.named_parameters():
        assert abs(tensors[name].grad.item() - p.grad) < 1e-10, name
