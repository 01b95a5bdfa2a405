"""The glassgrad command: help, one-line errors with exit status 2, train and demo."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import nn
from glassgrad.cli import main


def run(capsys, *argv):
    """(exit status, stdout, stderr) of ``glassgrad argv``, run in-process."""
    try:
        status = main(list(argv))
    except SystemExit as exit_:
        status = exit_.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_console_script_help():
    script = Path(sys.executable).with_name("glassgrad")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "glassgrad"]
    done = subprocess.run([*command, "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    assert "demo" in done.stdout and "train" in done.stdout


def test_train_help_documents_every_option(capsys):
    status, out, _ = run(capsys, "train", "--help")
    assert status == 0
    for option in ("--dataset", "--hidden", "--activation", "--loss", "--optimizer", "--lr",
                   "--steps", "--batch-size", "--seed", "--batched", "--save"):
        assert option in out


@pytest.mark.parametrize("argv, message", [
    ([], "required: command"),
    (["fly"], "invalid choice: 'fly'"),
    (["train", "--hidden", "16,0"], "--hidden"),
    (["train", "--dataset", "mnist"], "--dataset"),
    (["train", "--steps", "many"], "--steps"),
    (["train", "--lr", "-1"], "--lr"),
    (["train", "--activation", "swish", "--steps", "1"], "unknown activation 'swish'"),
    (["train", "--dataset", "blobs", "--loss", "hinge"], "--loss softmax"),
    (["train", "--save", "/nonexistent-dir/model.json"], "does not exist"),
    (["train", "--save", "."], "is a folder"),
    (["train", "--save", "/dev/null"], "--save '/dev/null' is a device, FIFO or socket"),
    (["train", "--hidden", "100000000"], "--hidden: expected comma-separated layer sizes"),
    (["train", "--hidden", "1000,1000"], "--hidden: MLP(2, [1000, 1000, 1]): 1,005,001 param"),
    (["train", "--samples", "100000000000"], "--samples: expected a positive integer up to 10,"),
    (["train", "--steps", "9" * 30], "--steps: expected a positive integer up to 1,000,000,000"),
    (["train", "--steps", "9" * 5000], "--steps: expected a positive integer"),
    (["train", "--seed", "-1"], "--seed: expected an integer from 0 to 4,294,967,295"),
    (["train", "--batch-size", "1e3"], "--batch-size: expected a positive integer"),
    (["demo", "--steps", "0"], "--steps: expected a positive integer"),
])
def test_bad_arguments_get_one_line_and_status_2(capsys, argv, message):
    status, _, err = run(capsys, *argv)
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("glassgrad: error:")
    assert message in err and "Traceback" not in err


def test_unwritable_demo_folder_is_one_line(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    status, _, err = run(capsys, "demo", "--out", str(blocker / "sub"), "--steps", "1")
    assert status == 2 and err.count("\n") == 1 and "output folder" in err


def test_train_saves_a_loadable_model(capsys, tmp_path):
    path = tmp_path / "model.json"
    status, out, err = run(capsys, "train", "--dataset", "circles", "--samples", "40",
                           "--hidden", "4", "--activation", "tanh", "--optimizer", "adam",
                           "--schedule", "cosine", "--steps", "3", "--batch-size", "16",
                           "--no-progress", "--save", str(path))
    assert status == 0, err
    assert "held out" in out and f"saved the model to {path}" in out
    model = nn.load(path)
    assert json.loads(path.read_text())["architecture"]["nouts"] == [4, 1]
    assert model.layers[0].neurons[0].activation == "tanh"


def test_train_multiclass_picks_softmax(capsys):
    status, out, err = run(capsys, "train", "--dataset", "blobs", "--samples", "30",
                           "--hidden", "3", "--steps", "2", "--no-progress")
    assert status == 0, err
    assert "softmax loss" in out and "MLP(2, [3, 3])" in out


def test_train_batched_and_digits(capsys):
    status, out, err = run(capsys, "train", "--dataset", "digits", "--hidden", "8",
                           "--steps", "2", "--batched", "--no-progress")
    assert status == 0, err
    assert "MLP(64, [8, 10])" in out


def test_demo_trains_and_draws(capsys, tmp_path):
    status, out, err = run(capsys, "demo", "--out", str(tmp_path), "--steps", "2",
                           "--no-progress")
    assert status == 0, err
    assert "step 0: loss 0.8958, accuracy 50%" in out
    assert "final accuracy" in out
    drawn = {p.name for p in tmp_path.iterdir()}
    notes = [line for line in out.splitlines() if line.startswith("note:")]
    assert {"decision_boundary.png", "loss_curve.png", "neuron.svg"} <= drawn or notes


def test_demo_scalar_mode(capsys, tmp_path):
    status, out, err = run(capsys, "demo", "--scalar", "--out", str(tmp_path), "--steps", "1",
                           "--no-progress")
    assert status == 0, err
    assert "scalar Value graph" in out and "step 0: loss 0.8958" in out
