"""The GPT model, its tokenizer, the names dataset, training and sampling."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

import nn
from engine.testing import gradcheck_parameters


def tiny(docs: list[str] | None = None, **sizes: int) -> nn.GPT:
    tokenizer = nn.CharTokenizer(docs or ["abc", "cab", "ba"])
    settings = {"n_embd": 4, "n_head": 2, "n_layer": 1, "block_size": 6, **sizes}
    return nn.GPT(tokenizer, seed=3, **settings)


def test_default_configuration_is_microgpts() -> None:
    tokenizer = nn.CharTokenizer(nn.load_names())
    model = nn.GPT(tokenizer)
    assert (model.n_embd, model.n_head, model.n_layer, model.block_size) == (16, 4, 1, 16)
    assert tokenizer.vocab_size == 27
    assert len(model.parameters()) == 4192
    names = [name for name, _ in model.named_parameters()]
    assert len(set(names)) == len(names)
    assert names[0] == "wte.weight.0.0"
    assert "layers.0.attn.wq.w.15.15" in names and "layers.0.fc2.w.15.63" in names


def test_names_load_offline_and_tokenize_with_bos() -> None:
    names = nn.load_names()
    assert len(names) == 5163 and names == sorted(set(names))
    assert all(name.isalpha() and name.islower() for name in names)
    assert nn.load_names(shuffle=True, seed=1) == nn.load_names(shuffle=True, seed=1) != names
    tokenizer = nn.CharTokenizer(names)
    doc = tokenizer.document("emma")
    assert doc[0] == doc[-1] == tokenizer.bos == 26
    assert tokenizer.decode(doc) == "emma"
    with pytest.raises(ValueError, match="outside the vocabulary"):
        tokenizer.encode("Émile")
    with pytest.raises(ValueError, match="not a token id"):
        tokenizer.decode([27])


def test_gradients_match_finite_differences() -> None:
    model = tiny()
    assert gradcheck_parameters(lambda: model.loss("abca"), dict(model.named_parameters()))


def test_attention_is_causal_and_weights_are_recorded() -> None:
    model = tiny()
    caches = model.new_cache()
    tokens = [3, 0, 1, 2]
    first = [z.data for z in model.step(tokens[0], 0, caches)]
    for pos, token in enumerate(tokens[1:], start=1):
        model.step(token, pos, caches)
    weights = caches[0].weights
    assert [len(w[0]) for w in weights] == [1, 2, 3, 4]  # position t sees 0..t only
    assert all(abs(sum(head) - 1.0) < 1e-12 for w in weights for head in w)
    # the later positions did not change what the first one computed
    assert [z.data for z in model([tokens[0]])[0]] == first


def test_loss_starts_near_uniform_and_short_training_beats_it() -> None:
    docs = nn.load_names(shuffle=True, seed=0)[:200]
    model = nn.GPT(nn.CharTokenizer(nn.load_names()), n_embd=8, n_head=2, block_size=8, seed=1)
    baseline = math.log(model.vocab_size)
    before = sum(model.loss(d).data for d in docs[:20]) / 20
    assert abs(before - baseline) < 0.2
    history = nn.train_gpt(model, docs, 60, lr=0.02, progress=False)
    assert len(history["loss"]) == 60
    after = sum(model.loss(d).data for d in docs[:20]) / 20
    assert after < baseline - 0.3, (before, after)


def test_save_load_round_trip_keeps_tokenizer_and_losses(tmp_path) -> None:
    model = tiny()
    nn.train_gpt(model, ["abc", "cab"], 3, progress=False)
    path = tmp_path / "gpt.json"
    model.save(path)
    again = nn.load(path)
    assert isinstance(again, nn.GPT) and again.tokenizer is not None
    assert again.tokenizer.chars == "abc"
    assert again.loss("cab").data == model.loss("cab").data
    assert again.sample(3, 0.7, seed=5) == model.sample(3, 0.7, seed=5)


def test_sampling_is_seeded_and_stays_in_the_block() -> None:
    model = tiny()
    samples = model.sample(10, temperature=1.0, seed=0)
    assert samples == model.sample(10, temperature=1.0, seed=0)
    assert all(isinstance(s, str) and len(s) <= model.block_size and set(s) <= set("abc")
               for s in samples)
    assert model.sample(2, seed=random.Random(4)) == model.sample(2, seed=random.Random(4))
    with pytest.raises(ValueError, match="temperature"):
        model.sample(1, temperature=0.0)


def test_bad_inputs_raise_clear_errors() -> None:
    model = tiny()
    with pytest.raises(IndexError, match="outside the block"):
        model.step(0, 6, model.new_cache())
    with pytest.raises(ValueError, match="not a token id"):
        model([0, 9])
    with pytest.raises(ValueError, match="multiple of n_head"):
        nn.GPT(5, n_embd=6, n_head=4)
    with pytest.raises(ValueError, match="steps"):
        nn.train_gpt(model, ["abc"], 0)
    with pytest.raises(TypeError, match=r"nn\.GPT"):
        nn.train_gpt(nn.MLP(2, [1]), ["abc"], 1)  # type: ignore[arg-type]


def test_loss_equals_a_numpy_transformer() -> None:
    """The whole forward pass, written independently as matrices in numpy."""
    model = nn.GPT(nn.CharTokenizer(["abc"]), n_embd=4, n_head=2, block_size=5, seed=0)
    state = model.state_dict()

    def matrix(prefix: str, rows: int, cols: int):
        return np.array([[state[f"{prefix}.{r}.{c}"] for c in range(cols)] for r in range(rows)])

    def rms(x):
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-5)

    wq, wk, wv, wo = (matrix(f"layers.0.attn.{n}.w", 4, 4) for n in ("wq", "wk", "wv", "wo"))
    ids = model.tokenizer.document("cab")
    T = len(ids) - 1
    x = rms(matrix("wte.weight", 4, 4)[ids[:-1]] + matrix("wpe.weight", 5, 4)[:T])
    h = rms(x)
    q, k, v = h @ wq.T, h @ wk.T, h @ wv.T
    heads = []
    for i in range(2):
        s = slice(2 * i, 2 * i + 2)
        scores = q[:, s] @ k[:, s].T / math.sqrt(2) + np.triu(np.full((T, T), -np.inf), 1)
        w = np.exp(scores - scores.max(1, keepdims=True))
        heads.append((w / w.sum(1, keepdims=True)) @ v[:, s])
    x = x + np.hstack(heads) @ wo.T
    x = x + np.maximum(rms(x) @ matrix("layers.0.fc1.w", 16, 4).T, 0) @ matrix(
        "layers.0.fc2.w", 4, 16).T
    logits = x @ matrix("lm_head.w", 4, 4).T
    shifted = logits - logits.max(1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    expected = -log_probs[np.arange(T), ids[1:]].mean()
    assert abs(model.loss("cab").data - expected) < 1e-12
