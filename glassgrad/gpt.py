"""``glassgrad gpt``: train microgpt's tiny GPT on the names dataset, save
it as JSON and sample new names from it.
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

from glassgrad.cli import Failure, _check_writable_file, _positive_int
from nn.gpt import GPT
from nn.gpt_training import train_gpt
from nn.names import load_names
from nn.serialization import save
from nn.tokenizer import CharTokenizer

__all__ = ["add_command", "run"]


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def add_command(commands: Any) -> None:
    """Register the ``gpt`` subcommand on argparse's ``commands``."""
    gpt = commands.add_parser(
        "gpt", help="train a tiny GPT on 5,163 first names and sample new ones",
        description="Train Karpathy's microgpt on the US census first names (shipped, "
                    "offline): one name per step, Adam with a linearly decaying learning "
                    "rate; then save the model as JSON and sample names.")
    gpt.add_argument("--steps", type=_positive_int, default=1000,
                     help="training steps, one name each (default: %(default)s)")
    gpt.add_argument("--samples", type=_positive_int, default=20, metavar="K",
                     help="how many names to sample after training (default: %(default)s)")
    gpt.add_argument("--temperature", type=_positive_float, default=0.5,
                     help="sampling temperature, > 0; lower is tamer (default: %(default)s)")
    gpt.add_argument("--lr", type=_positive_float, default=0.01,
                     help="initial learning rate (default: %(default)s)")
    for flag, default, what in (("--n-embd", 16, "embedding size"),
                                ("--n-head", 4, "attention heads"),
                                ("--n-layer", 1, "Transformer layers"),
                                ("--block-size", 16, "longest context in tokens")):
        gpt.add_argument(flag, type=_positive_int, default=default,
                         help=f"{what} (default: %(default)s)")
    gpt.add_argument("--seed", type=int, default=42,
                     help="seed for weights, name order and sampling (default: %(default)s)")
    gpt.add_argument("--save", default="glassgrad-gpt.json", metavar="PATH",
                     help="where to write the trained model as JSON (default: %(default)s)")
    modes = gpt.add_mutually_exclusive_group()
    modes.add_argument("--batched", dest="scalar", action="store_false",
                       help="train with compiled numpy programs, one per name length "
                            "(the default: the same losses, tens of times faster)")
    modes.add_argument("--scalar", action="store_true",
                       help="train on the scalar Value graph instead (much slower)")
    gpt.set_defaults(scalar=False)
    gpt.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Train, save and sample as ``args`` say; print what happened."""
    _check_writable_file(args.save)
    if args.n_embd % args.n_head:
        raise Failure(f"--n-embd {args.n_embd} must be a multiple of --n-head {args.n_head}")
    names = load_names()
    tokenizer = CharTokenizer(names)
    model = GPT(tokenizer, n_embd=args.n_embd, n_head=args.n_head, n_layer=args.n_layer,
                block_size=args.block_size, seed=args.seed)
    baseline = math.log(tokenizer.vocab_size)
    mode_name = "scalar Value graph" if args.scalar else "compiled numpy programs"
    print(f"{len(names)} names, vocabulary of {tokenizer.vocab_size} tokens (a-z and BOS); "
          f"{model!r}, {len(model.parameters())} parameters; {mode_name}")
    started = time.perf_counter()
    history = train_gpt(model, names, args.steps, lr=args.lr, seed=args.seed,
                        batched=not args.scalar, progress=not args.no_progress)
    seconds = time.perf_counter() - started
    losses = history["loss"]
    window = min(50, len(losses))
    print(f"loss: {losses[0]:.4f} at step 1, {sum(losses[-window:]) / window:.4f} averaged over "
          f"the last {window} step(s); uniform guessing gives log({tokenizer.vocab_size}) = "
          f"{baseline:.4f}")
    print(f"trained {args.steps} steps in {seconds:.1f} s ({1000 * seconds / args.steps:.0f} ms "
          f"per step)")
    save(model, args.save)
    print(f"saved the model to {args.save} (load it with nn.load)")
    print(f"{args.samples} names sampled at temperature {args.temperature}:")
    for name in model.sample(args.samples, args.temperature, seed=args.seed):
        print(f"  {name}")
    return 0
