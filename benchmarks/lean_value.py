"""``LeanValue``: the leanest local-gradients scalar ``Value`` (microgpt style).

The reference glassgrad's engine is measured against (issue 13). Written from
the description of Karpathy's microgpt (February 2026): every op returns a new
node holding its data, its children and the *local* gradient with respect to
each child, computed once in the forward pass; ``__slots__`` keeps nodes
small; ``backward`` is a depth-first topological sort followed by the chain
rule. Subtraction is ``a + (-b)``, negation ``a * -1`` and division
``a * b ** -1``, as in microgpt, so the last bits of a loss can differ from
glassgrad's (which divides directly) by about 1e-15; gradients are also summed
in a different order (depth-first here, creation order there).

>>> a, b = LeanValue(2.0), LeanValue(-3.0)
>>> c = a * b + b ** 2
>>> c.backward()
>>> a.grad, b.grad
(-3.0, -4.0)
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["LeanValue"]


class LeanValue:
    """A scalar node: ``data``, ``grad``, children and their local gradients."""

    __slots__ = ("_children", "_local_grads", "data", "grad")

    def __init__(
        self, data: float, children: tuple[LeanValue, ...] = (), local_grads: tuple[Any, ...] = ()
    ) -> None:
        self.data = data
        self.grad = 0
        self._children = children
        self._local_grads = local_grads

    @property
    def _prev(self) -> set[LeanValue]:
        """The children as a set, as in micrograd (for counting nodes; unused here)."""
        return set(self._children)

    def __add__(self, other: Any) -> LeanValue:
        other = other if isinstance(other, LeanValue) else LeanValue(other)
        return LeanValue(self.data + other.data, (self, other), (1, 1))

    def __mul__(self, other: Any) -> LeanValue:
        other = other if isinstance(other, LeanValue) else LeanValue(other)
        return LeanValue(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, other: float) -> LeanValue:
        return LeanValue(self.data**other, (self,), (other * self.data ** (other - 1),))

    def log(self) -> LeanValue:
        """Natural logarithm."""
        return LeanValue(math.log(self.data), (self,), (1 / self.data,))

    def exp(self) -> LeanValue:
        """e ** self."""
        return LeanValue(math.exp(self.data), (self,), (math.exp(self.data),))

    def relu(self) -> LeanValue:
        """max(0, self)."""
        return LeanValue(max(0, self.data), (self,), (float(self.data > 0),))

    def __neg__(self) -> LeanValue:
        return self * -1

    def __radd__(self, other: Any) -> LeanValue:
        return self + other

    def __sub__(self, other: Any) -> LeanValue:
        return self + (-other)

    def __rsub__(self, other: Any) -> LeanValue:
        return other + (-self)

    def __rmul__(self, other: Any) -> LeanValue:
        return self * other

    def __truediv__(self, other: Any) -> LeanValue:
        return self * other**-1

    def __rtruediv__(self, other: Any) -> LeanValue:
        return other * self**-1

    def backward(self) -> None:
        """Fill in ``grad`` of every node this one depends on."""
        topo: list[LeanValue] = []
        visited: set[LeanValue] = set()

        def build_topo(v: LeanValue) -> None:
            if v not in visited:
                visited.add(v)
                for child in v._children:
                    build_topo(child)
                topo.append(v)

        build_topo(self)
        self.grad = 1
        for v in reversed(topo):
            for child, local_grad in zip(v._children, v._local_grads):
                child.grad += local_grad * v.grad
