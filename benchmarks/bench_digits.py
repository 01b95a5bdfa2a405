"""Train an MLP on the UCI 8x8 digits and print its held-out accuracy (target: >= 90%).

Uses the batched numpy engine (``--scalar`` uses the plain
Value graph: minutes instead of seconds). Prints figures; asserts nothing
about time.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import nn


def main() -> None:
    """Train, then print accuracy and time."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scalar", action="store_true", help="use the plain Value graph")
    parser.add_argument("--steps", type=int, default=150)
    args = parser.parse_args()
    batched = not args.scalar
    split = nn.load_digits(test_fraction=0.25, seed=0)
    model = nn.MLP(64, [32, 10], init="he", seed=0)
    started = time.perf_counter()
    history = nn.fit(model, split.X_train, split.y_train, loss="softmax", optimizer="adam",
                     lr=nn.cosine(0.01, 0.001, args.steps), steps=args.steps, batch_size=256,
                     l2=1e-4, seed=0, batched=batched, progress=False)
    seconds = time.perf_counter() - started
    scores = nn.predict(model, split.X_test, batched=batched)
    held_out = float(np.mean(np.argmax(scores, axis=1) == split.y_test))
    mode_name = "batched" if batched else "scalar"
    print(f"digits: MLP(64, [32, 10]), {len(model.parameters())} parameters, "
          f"{len(split.y_train)} train / {len(split.y_test)} held-out images")
    print(f"{args.steps} Adam steps (minibatch 256, {mode_name}) in {seconds:.1f} s; "
          f"final training loss {history['loss'][-1]:.4f}")
    print(f"held-out accuracy: {held_out:.1%} (target >= 90%)")


if __name__ == "__main__":
    main()
