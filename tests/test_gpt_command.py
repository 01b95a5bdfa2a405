"""``glassgrad gpt``: train, save atomically, sample; one-line errors, exit 2."""

from __future__ import annotations

import math

import pytest

import nn
from glassgrad.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        status = main(list(argv))
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_trains_saves_and_samples(capsys, tmp_path) -> None:
    path = tmp_path / "gpt.json"
    status, out, err = run(capsys, "gpt", "--steps", "3", "--samples", "4", "--n-embd", "8",
                           "--n-head", "2", "--block-size", "8", "--save", str(path),
                           "--no-progress")
    assert status == 0, err
    assert "4 names sampled at temperature 0.5" in out and "ms per step" in out
    assert "compiled numpy programs" in out  # the default
    assert f"log(27) = {math.log(27):.4f}" in out
    sampled = out.rsplit("temperature 0.5:\n", 1)[1].splitlines()
    assert len(sampled) == 4 and all(line.startswith("  ") for line in sampled)
    model = nn.load(path)
    assert isinstance(model, nn.GPT) and model.n_embd == 8 and model.block_size == 8
    assert [f"  {name}" for name in model.sample(4, 0.5, seed=42)] == sampled
    assert [p.name for p in tmp_path.iterdir()] == ["gpt.json"]  # no temporary left behind


def test_scalar_trains_on_the_value_graph(capsys, tmp_path) -> None:
    status, out, err = run(capsys, "gpt", "--steps", "2", "--samples", "1", "--n-embd", "4",
                           "--n-head", "2", "--block-size", "4", "--scalar", "--no-progress",
                           "--save", str(tmp_path / "gpt.json"))
    assert status == 0, err
    assert "scalar Value graph" in out


def test_help_lists_the_options(capsys) -> None:
    status, out, _ = run(capsys, "gpt", "--help")
    assert status == 0
    for option in ("--steps", "--samples", "--temperature", "--save", "--batched", "--scalar",
                   "--seed"):
        assert option in out
    assert "gpt" in run(capsys, "--help")[1]


@pytest.mark.parametrize("argv, message", [
    (["--temperature", "0"], "--temperature: expected a number > 0"),
    (["--steps", "-5"], "--steps: expected a positive integer"),
    (["--samples", "x"], "--samples: expected a positive integer"),
    (["--n-embd", "10"], "must be a multiple of --n-head 4"),
    (["--save", "/nonexistent-folder/gpt.json"], "does not exist"),
])
def test_bad_arguments_are_one_line_errors(capsys, argv, message) -> None:
    status, _, err = run(capsys, "gpt", *argv)
    assert status == 2
    assert message in err and err.count("\n") == 1 and err.startswith("glassgrad: error:")
