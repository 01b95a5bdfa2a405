"""glassgrad's engine: scalar ``Value`` nodes, their ops, and autograd.

>>> from engine import Value
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> c = a * b + b ** 2
>>> c.backward()
>>> a.grad, b.grad
(-3.0, -4.0)
"""

from engine import ops
from engine.autograd import grad, reverse_topological_order, topological_order
from engine.mode import current_scope, enable_grad, is_grad_enabled, name_scope, no_grad
from engine.op import REGISTRY, Domain, Op, define_op
from engine.value import Constant, Value

__all__ = [
    "REGISTRY",
    "Constant",
    "Domain",
    "Op",
    "Value",
    "current_scope",
    "define_op",
    "enable_grad",
    "grad",
    "is_grad_enabled",
    "name_scope",
    "no_grad",
    "ops",
    "reverse_topological_order",
    "topological_order",
]
