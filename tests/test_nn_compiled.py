"""The GPT on compiled programs (``nn.compiled``): the same losses and parameters as the
scalar graph, one program per document length, documents of one length batched, and
optimizers that step a parameter vector exactly as they step ``Value`` nodes."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from engine import Value
from nn.compiled import CompiledGPT

DOCS = ["ab", "abc", "abca", "bca", "a", "abcab", "abcabc", "cc"]  # 1 to 6 letters


def small_gpt() -> nn.GPT:
    return nn.GPT(nn.CharTokenizer(["abc"]), n_embd=8, n_head=2, block_size=6, seed=3)


def test_compiled_training_equals_scalar_training_for_several_lengths() -> None:
    scalar, compiled = small_gpt(), small_gpt()
    steps = 2 * len(DOCS)  # every document twice: 5 lengths (the longest cut by the block)
    expected = nn.train_gpt(scalar, DOCS, steps, progress=False)["loss"]
    got = nn.train_gpt(compiled, DOCS, steps, batched=True, progress=False)["loss"]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
    for p, q in zip(compiled.parameters(), scalar.parameters()):
        assert abs(p.data - q.data) < 1e-9  # the trained vector was written back
    assert expected[-1] < expected[0]


def test_one_program_per_length_is_compiled_and_reused() -> None:
    compiled = CompiledGPT(small_gpt())
    for doc in DOCS + DOCS:
        compiled.run([doc])
    lengths = {min(len(doc) + 1, 6) for doc in DOCS}  # predictions: letters + 1, block 6
    assert compiled.compilations == len(lengths) == 5
    assert sorted(compiled.programs) == sorted(lengths)


def test_a_batch_of_documents_equals_the_mean_of_separate_runs() -> None:
    compiled = CompiledGPT(small_gpt())
    docs = ["abc", "cab", "bca", "aaa"]
    together = compiled.run(docs)
    alone = [compiled.run([doc]) for doc in docs]
    assert compiled.compilations == 1  # the token lookups do not tie it to one document
    np.testing.assert_allclose(together.losses, [r.loss for r in alone], rtol=0, atol=1e-12)
    assert together.loss == pytest.approx(np.mean([r.loss for r in alone]), abs=1e-12)
    assert together.grads is not None
    mean_grads = np.mean([r.grads for r in alone], axis=0)
    np.testing.assert_allclose(together.grads, mean_grads, rtol=0, atol=1e-12)


def test_each_document_gets_its_own_loss_and_gradient() -> None:
    model = small_gpt()
    compiled = CompiledGPT(model)
    for doc in ("abc", "cba"):
        result = compiled.run([doc])
        loss = model.loss(doc)
        loss.backward()
        assert result.loss == pytest.approx(loss.data, abs=1e-12)
        assert result.grads is not None
        np.testing.assert_allclose(result.grads, [p.grad for p in model.parameters()],
                                   rtol=0, atol=1e-12)
        model.zero_grad()


def test_the_softmax_shift_is_recomputed_for_every_document() -> None:
    """Logits in the hundreds: a shift frozen at tracing time would overflow exp or
    be wrong for another document; the maximum ops are replayed."""
    model = small_gpt()
    for p in model.lm_head.parameters():
        p.data *= 400.0
    compiled = CompiledGPT(model)
    results = compiled.run(["abc", "cca", "bab"])
    assert compiled.compilations == 1
    expected = [model.loss(doc).data for doc in ("abc", "cca", "bab")]
    assert max(expected) > 50  # large logits indeed
    np.testing.assert_allclose(results.losses, expected, rtol=1e-12, atol=0)


def test_the_default_gpt_compiles_into_few_steps() -> None:
    """One weight matrix at every position is one product: 8 predictions of the
    4,192-parameter names GPT (72,444 scalar nodes) take 85 numpy steps, not the
    1,986 single-node steps of a grouping that saw sparse blocks."""
    model = nn.GPT(nn.CharTokenizer(nn.load_names()), seed=42)
    program = CompiledGPT(model).program(8)
    assert program.stats.nodes > 70_000
    assert program.stats.steps <= 90


def test_documents_of_a_batch_must_share_a_length() -> None:
    compiled = CompiledGPT(small_gpt())
    with pytest.raises(ValueError, match="same length"):
        compiled.run(["ab", "abc"])
    with pytest.raises(ValueError, match="at least one document"):
        compiled.run([])
    with pytest.raises(TypeError, match=r"nn\.GPT"):
        CompiledGPT(nn.MLP(2, [1]))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not one-hot vectors"):
        compiled.run([[[0.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.0, 0.0]]])
    with pytest.raises(ValueError, match="the optimizer has 1 parameters, the model"):
        compiled.train_step(nn.Adam([Value(0.0)]), "ab")


@pytest.mark.parametrize("make", [
    lambda ps: nn.Adam(ps, lr=0.05, betas=(0.85, 0.99), weight_decay=0.01),
    lambda ps: nn.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
    lambda ps: nn.SGD(ps, lr=0.1, momentum=0.5, dampening=0.2),
])
def test_a_vector_update_equals_per_value_steps(make) -> None:
    rng = np.random.default_rng(0)
    start = rng.normal(size=7)
    values = [Value(float(x)) for x in start]
    per_value, vector_rule = make(values), make([Value(0.0) for _ in range(7)])
    vector = start.copy()
    for _ in range(5):
        grads = rng.normal(size=7)
        for p, g in zip(values, grads.tolist()):
            p.grad = g
        per_value.step()
        vector_rule.update(vector, grads)
    assert vector.tolist() == [p.data for p in values]  # exactly: float64 rounds alike


def test_one_hot_tokens_must_fit_the_vocabulary() -> None:
    model = small_gpt()
    with pytest.raises(ValueError, match="one-hot vector needs 4 entries, got 2"):
        model.wte([1.0, 0.0])
    with pytest.raises(ValueError, match="one-hot token needs 4 entries, got 3"):
        model.loss([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    one_hot = [[float(i == t) for i in range(4)] for t in (3, 0, 1, 3)]
    assert model.loss(one_hot).data == model.loss([3, 0, 1, 3]).data  # the same number
