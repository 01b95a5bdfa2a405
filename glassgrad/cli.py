"""The ``glassgrad`` command: ``glassgrad demo``, ``glassgrad train`` and ``glassgrad gpt``.

Bad arguments and failures print one line, ``glassgrad: error: ...``, and
exit with status 2 — never a traceback.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from engine.checks import short_repr
from nn.datasets import DATASETS, MAX_SAMPLES, load_digits, make_moons, train_test_split
from nn.layers import MLP, activation_op
from nn.limits import MAX_PARAMETERS
from nn.losses import LOSSES
from nn.optim import SGD, Adam, Optimizer
from nn.schedules import constant, cosine, linear
from nn.serialization import save
from nn.train import fit, predict

__all__ = ["main"]

PROG = "glassgrad"


class Failure(Exception):
    """An error to report in one line (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Print ``glassgrad: error: message`` and exit with status 2."""
        message = re.sub(r"\S{61,}", lambda long: long.group(0)[:57] + "...", message)
        sys.stderr.write(f"{PROG}: error: {' '.join(message.split())} (see {self.prog} --help)\n")
        raise SystemExit(2)


MAX_COUNT = 10**9
"""The largest count any option takes (steps, sizes, ...): more would run
for ever or exhaust memory long before finishing."""


def _int_from(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: an integer from ``low`` to ``high``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:  # not a number, or too many digits to convert
            value = low - 1
        if not low <= value <= high:
            expected = ("a positive integer up to" if low == 1
                        else f"an integer from {low:,} to")
            raise argparse.ArgumentTypeError(
                f"expected {expected} {high:,}, got {short_repr(text, 40)}")
        return value
    parse.__name__ = "integer"
    return parse


_positive_int = _int_from(1, MAX_COUNT)


def _sizes(text: str) -> list[int]:
    """'16,16' -> [16, 16]."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        sizes = []
    if not sizes or not all(1 <= size <= MAX_PARAMETERS for size in sizes):
        raise argparse.ArgumentTypeError(
            f"expected comma-separated layer sizes from 1 to {MAX_PARAMETERS:,} like 16,16, "
            f"got {short_repr(text, 40)}")
    return sizes


def _activation(name: str) -> str:
    """An argparse type: the name of a one-input engine op, or "linear"."""
    try:
        activation_op(name)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return name


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {short_repr(text, 40)}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Train small neural networks on glassgrad's scalar autograd engine.",
        epilog="Run 'glassgrad demo' for micrograd's two-moons demo, "
               "'glassgrad train --help' for the training options.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    demo = commands.add_parser(
        "demo", help="train micrograd's two-moons demo and draw it",
        description="Train micrograd's demo recipe: MLP(2, [16, 16, 1]) on 100 two-moons "
                    "points (seed 1337, noise 0.1), SVM loss + 1e-4 L2, SGD with learning "
                    "rate 1.0 - 0.9*k/100 for 100 steps; then write the decision boundary, "
                    "the loss curve and one neuron's computation graph to the output folder.")
    demo.add_argument("--out", default="glassgrad-output", metavar="DIR",
                      help="folder for the pictures (default: %(default)s)")
    demo.add_argument("--scalar", action="store_true",
                      help="train on the plain Value graph instead of the batched numpy engine")
    demo.add_argument("--steps", type=_positive_int, default=100,
                      help="training steps (default: %(default)s, micrograd's)")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")

    train = commands.add_parser(
        "train", help="train an MLP on a dataset of your choice",
        description="Train an MLP and print its accuracy on the training data and on a "
                    "held-out quarter of the samples.")
    train.add_argument("--dataset", choices=[*DATASETS, "digits"], default="moons",
                       help="2-D toy dataset, or the UCI 8x8 digits (default: %(default)s)")
    train.add_argument("--samples", type=_int_from(1, MAX_SAMPLES), default=200,
                       help="toy dataset size (default: %(default)s)")
    train.add_argument("--noise", type=_non_negative, default=0.1,
                       help="toy dataset noise (default: %(default)s)")
    train.add_argument("--hidden", type=_sizes, default=[16, 16], metavar="SIZES",
                       help="hidden layer sizes, comma-separated (default: 16,16)")
    train.add_argument("--activation", type=_activation, default="relu",
                       help="hidden activation: relu, tanh, sigmoid, gelu, linear or any "
                            "one-input engine op (default: %(default)s)")
    train.add_argument("--init", default="uniform", choices=["uniform", "xavier", "he"],
                       help="weight initialisation (default: %(default)s, micrograd's)")
    train.add_argument("--loss", choices=[*LOSSES, "auto"], default="auto",
                       help="loss (default: hinge for 2 classes, softmax for more)")
    train.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd",
                       help="optimizer (default: %(default)s)")
    train.add_argument("--lr", type=_non_negative, default=None,
                       help="learning rate (default: 0.1 for sgd, 0.01 for adam)")
    train.add_argument("--schedule", choices=["constant", "linear", "cosine"],
                       default="constant",
                       help="learning-rate schedule; linear and cosine decay to lr/10 "
                            "(default: %(default)s)")
    train.add_argument("--momentum", type=_non_negative, default=0.9,
                       help="SGD momentum (default: %(default)s)")
    train.add_argument("--l2", type=_non_negative, default=1e-4,
                       help="L2 penalty weight (default: %(default)s)")
    train.add_argument("--steps", type=_positive_int, default=100,
                       help="optimizer steps (default: %(default)s)")
    train.add_argument("--batch-size", type=_positive_int, default=None,
                       help="minibatch size (default: the whole training set)")
    train.add_argument("--seed", type=_int_from(0, 2**32 - 1), default=0,
                       help="seed for data, weights and minibatches (default: %(default)s)")
    train.add_argument("--batched", action="store_true",
                       help="run the compiled numpy program instead of the scalar graph")
    train.add_argument("--save", metavar="PATH",
                       help="write the trained model to PATH as JSON (load with nn.load)")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    from glassgrad import gpt

    gpt.add_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``glassgrad`` command with ``argv`` (default: ``sys.argv[1:]``);
    return the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            return _demo(args)
        if args.command == "gpt":
            from glassgrad import gpt

            return gpt.run(args)
        return _train(args)
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except (Failure, OSError, ValueError, TypeError, ArithmeticError, ImportError,
            RuntimeError) as error:
        message = " ".join(str(error).split()) or type(error).__name__
        sys.stderr.write(f"{PROG}: error: {message}\n")
        return 2


def _check_writable_file(path: str) -> None:
    """Fail before training, not after, if ``path`` cannot be written."""
    target, name = Path(path), short_repr(path, 80)
    if target.is_dir():
        raise Failure(f"--save {name} is a folder; give a file name like model.json")
    if target.exists() and not target.is_file():
        raise Failure(f"--save {name} is a device, FIFO or socket, not a file to replace")
    folder, folder_name = target.parent, short_repr(str(target.parent), 80)
    if not folder.is_dir():
        raise Failure(f"--save {name}: folder {folder_name} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise Failure(f"--save {name}: folder {folder_name} is not writable")


def _demo(args: argparse.Namespace) -> int:
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise Failure(f"cannot create output folder {str(out)!r}: {error.strerror}") from None
    batched = not args.scalar
    np.random.seed(1337)
    random.seed(1337)
    X, labels = make_moons(n_samples=100, noise=0.1)
    y = labels * 2 - 1
    model = MLP(2, [16, 16, 1])
    mode_name = "batched numpy engine" if batched else "scalar Value graph"
    print(f"micrograd's demo: {model.__class__.__name__}(2, [16, 16, 1]), "
          f"{len(model.parameters())} parameters, 100 moons, {mode_name}")
    started = time.perf_counter()
    history = fit(model, X, y, loss="hinge", optimizer="sgd", lr=linear(1.0, 0.1, 100),
                  steps=args.steps, l2=1e-4, batched=batched, progress=not args.no_progress)
    seconds = time.perf_counter() - started
    final_accuracy = float(np.mean((predict(model, X, batched=batched) > 0) == (y > 0)))
    last = len(history["loss"]) - 1
    for k in sorted({0, last}):
        print(f"step {k}: loss {history['loss'][k]:.4f}, accuracy {history['accuracy'][k]:.0%}")
    print(f"trained {args.steps} steps in {seconds:.1f} s; final accuracy {final_accuracy:.0%}")
    _pictures(model, X, y, history, out)
    return 0


def _pictures(model: MLP, X: np.ndarray, y: np.ndarray, history: dict[str, list[float]],
              out: Path) -> None:
    """Write the demo's three pictures with viz; a missing piece is a note, not a failure."""
    try:
        import viz
        from glassgrad.neuron_picture import draw_live_neuron
    except ImportError as error:
        print(f"note: no pictures ({error}); install glassgrad[plot] for them")
        return
    jobs = [
        ("decision boundary", lambda: viz.plot_decision_boundary(
            lambda points: predict(model, points), X, y,
            path=out / "decision_boundary.png")),
        ("loss curve", lambda: viz.plot_history(history, path=out / "loss_curve.png")),
        ("one neuron's graph", lambda: draw_live_neuron(model, X).render(
            outfile=out / "neuron.svg", cleanup=True)),
    ]
    for name, draw in jobs:
        try:
            draw()
        except Exception as error:  # a picture is a bonus: report it and go on
            print(f"note: could not draw the {name}: {' '.join(str(error).split())}")
    for path in sorted(out.iterdir()):
        if path.suffix in (".png", ".svg"):
            print(f"wrote {path}")


def _train(args: argparse.Namespace) -> int:
    if args.save is not None:
        _check_writable_file(args.save)
    if args.dataset == "digits":
        split = load_digits(seed=args.seed)
    else:
        X, y = _toy(args.dataset, args.samples, args.noise, args.seed)
        split = train_test_split(X, y, test_fraction=0.25, seed=args.seed)
    classes = int(max(split.y_train.max(), split.y_test.max())) + 1
    loss = args.loss if args.loss != "auto" else ("hinge" if classes == 2 else "softmax")
    if loss in ("hinge", "bce") and classes > 2:
        raise Failure(f"--loss {loss} separates 2 classes, but {args.dataset} has {classes}; "
                      f"use --loss softmax")
    nout = classes if loss == "softmax" else 1
    nin = split.X_train.shape[1]
    try:
        model = MLP(nin, [*args.hidden, nout], activation=args.activation, init=args.init,
                    seed=args.seed)
    except ValueError as error:  # the activation is checked already: the sizes are too big
        raise Failure(f"--hidden: {error}") from None
    lr = args.lr if args.lr is not None else (0.1 if args.optimizer == "sgd" else 0.01)
    schedule: Any = {"constant": lambda: constant(lr),
                     "linear": lambda: linear(lr, lr / 10, args.steps),
                     "cosine": lambda: cosine(lr, lr / 10, args.steps)}[args.schedule]()
    optimizer: Optimizer = (SGD(model.parameters(), lr=lr, momentum=args.momentum)
                            if args.optimizer == "sgd" else Adam(model.parameters(), lr=lr))
    print(f"{args.dataset}: {len(split.y_train)} training and {len(split.y_test)} held-out "
          f"samples; MLP({nin}, {[*args.hidden, nout]}), {len(model.parameters())} "
          f"parameters; {loss} loss, {args.optimizer}")
    history = fit(model, split.X_train, split.y_train, loss=loss, optimizer=optimizer,
                  lr=schedule, steps=args.steps, batch_size=args.batch_size, l2=args.l2,
                  validation=(split.X_test, split.y_test), batched=args.batched,
                  seed=args.seed, progress=not args.no_progress)
    train_acc = _accuracy(model, split.X_train, split.y_train, loss, args.batched)
    test_acc = _accuracy(model, split.X_test, split.y_test, loss, args.batched)
    print(f"final loss {history['loss'][-1]:.4f}; accuracy {train_acc:.1%} on training data, "
          f"{test_acc:.1%} held out")
    if args.save is not None:
        save(model, args.save)
        print(f"saved the model to {args.save}")
    return 0


def _toy(name: str, samples: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    make: Any = DATASETS[name]
    if name == "blobs":
        return make(samples, seed=seed)
    return make(samples, noise=noise, seed=seed)


def _accuracy(model: MLP, X: np.ndarray, y: np.ndarray, loss: str, batched: bool) -> float:
    from nn.losses import get_loss

    outputs = predict(model, X, batched=batched)
    return get_loss(loss).accuracy(outputs.reshape(len(X), -1), y)

