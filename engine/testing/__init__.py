"""Tools to test gradients: finite-difference checks and hypothesis strategies.

>>> from engine.testing import gradcheck, gradgradcheck
>>> gradcheck(lambda x, y: (x * y).tanh() + x.log(), [0.7, -1.2])
True

``gradcheck``/``gradgradcheck`` compare the engine's first/second
derivatives of any scalar function of ``Value`` arguments with central
differences; ``gradcheck_parameters`` does the same for a loss that reads a
model's parameters (``dict(model.named_parameters())``).

The hypothesis strategies ``values``, ``magnitudes`` (every scale from 1e-8
to 1e8), ``op_inputs`` and ``expressions`` draw
points inside an op's :class:`engine.Domain` and random computation graphs
over every op in ``engine.REGISTRY`` (your own ``define_op`` ops included);
``temporary_ops`` keeps ops defined in a test out of the registry afterwards;
``check_array_forward`` property-tests an op on numpy arrays (batched mode)
against its float forward.
This subpackage imports hypothesis; ``import engine`` does not.
"""

from engine.testing.arrays import check_array_forward
from engine.testing.gradcheck import (
    gradcheck,
    gradcheck_parameters,
    gradgradcheck,
    numeric_gradient,
)
from engine.testing.registry import temporary_ops
from engine.testing.strategies import (
    Application,
    Expression,
    expressions,
    magnitudes,
    op_inputs,
    values,
)

__all__ = [
    "Application",
    "Expression",
    "check_array_forward",
    "expressions",
    "gradcheck",
    "gradcheck_parameters",
    "gradgradcheck",
    "magnitudes",
    "numeric_gradient",
    "op_inputs",
    "temporary_ops",
    "values",
]
