"""Regenerate the README's drawings from the code as it is.

Run from the repository root: ``.venv/bin/python docs/images/make_images.py``.
Writes neuron-graph.png, mlp-loss-collapsed.png, backprop.gif and
mlp-weights.png next to this file (the demo's decision boundary comes from
``glassgrad demo``).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

import nn  # noqa: E402
from engine import Value  # noqa: E402
from viz import backprop_steps, draw_dot, draw_mlp  # noqa: E402


def readme_neuron() -> Value:
    """The README's example: o = tanh(a*b + b**2), after backward."""
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    o = (a * b + b**2).tanh()
    o.label = "o"
    o.backward()
    return o


def demo_loss(samples: int) -> Value:
    """micrograd's demo loss on ``samples`` moons, with the L2 penalty."""
    np.random.seed(1337)
    random.seed(1337)
    X, labels = nn.make_moons(n_samples=100, noise=0.1)
    model = nn.MLP(2, [16, 16, 1])
    losses = [nn.hinge(model(list(x)), 2.0 * t - 1.0) for x, t in zip(X[:samples], labels)]
    loss = nn.losses.mean(losses) + nn.l2_penalty(model.parameters(), 1e-4)
    loss.backward()
    return loss


def trained_demo_model() -> nn.MLP:
    """The demo's model after its 100 training steps."""
    np.random.seed(1337)
    random.seed(1337)
    X, labels = nn.make_moons(n_samples=100, noise=0.1)
    model = nn.MLP(2, [16, 16, 1])
    nn.fit(model, X, labels * 2 - 1, loss="hinge", optimizer="sgd", lr=nn.linear(1.0, 0.1, 100),
           steps=100, l2=1e-4, progress=False)
    return model


def main() -> None:
    """Write every picture."""
    draw_dot(readme_neuron(), color_grad=True).render(outfile=HERE / "neuron-graph.png",
                                                      cleanup=True)
    draw_dot(demo_loss(10)).render(outfile=HERE / "mlp-loss-collapsed.png", cleanup=True)
    backprop_steps(readme_neuron()).save_gif(HERE / "backprop.gif", seconds_per_frame=1.5)
    draw_mlp(trained_demo_model()).render(outfile=HERE / "mlp-weights.png", cleanup=True)
    for name in ("neuron-graph.png", "mlp-loss-collapsed.png", "backprop.gif", "mlp-weights.png"):
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
