"""The built-in ops: each one's forward, local derivatives, symbol and domain,
defined here once.

Derivatives are written with arithmetic and with the ops above them, so they
run on floats during ``backward()`` and on ``Value`` nodes when
``grad(..., create_graph=True)`` builds differentiable gradients.

Sub-gradient conventions at kinks: ``relu'(0) = 0`` and ``abs'(0) = 0``.
"""

from __future__ import annotations

import math
import operator
from typing import Any

from engine.op import Domain, Op, define_op, drawn_only, operator_method
from engine.value import Value

__all__ = [
    "abs",
    "add",
    "cos",
    "div",
    "drawn_only",
    "erf",
    "exp",
    "gelu",
    "log",
    "maximum",
    "mul",
    "neg",
    "pow",
    "relu",
    "sigmoid",
    "sin",
    "softplus",
    "sqrt",
    "sub",
    "tanh",
]

_SQRT_HALF = math.sqrt(0.5)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_ONE_OVER_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_NONZERO = Domain(avoid=(0.0,))
_POSITIVE = Domain(low=0.0)


def _data(x: Any) -> float:
    """The number behind a float or a ``Value``."""
    return x._data if isinstance(x, Value) else x


def _sign(x: Any) -> Any:
    """-1, 0 or 1: the sub-gradient of |x|, constant so never a node.
    Branch-free, so it works element-wise on numpy arrays too."""
    v = _data(x)
    return (v > 0) * 1.0 - (v < 0) * 1.0


def _relu_slope(x: Any) -> Any:
    """1 where x > 0 else 0: the sub-gradient of relu (branch-free, arrays too)."""
    return (_data(x) > 0) * 1.0


def _ufunc(name: str) -> Any:
    """numpy's ufunc ``name``, looked up at the first call: an ``array_forward``
    that keeps ``import engine`` free of numpy."""

    def on_arrays(*xs: Any) -> Any:
        import numpy

        return getattr(numpy, name)(*xs)

    on_arrays.__name__ = f"numpy.{name}"
    return on_arrays


def _divide(a: float, b: float) -> float:
    if b == 0:
        raise ZeroDivisionError("division by zero")
    return a / b


def _power(a: float, b: float) -> float:
    if a == 0 and b < 0:
        raise ZeroDivisionError("zero cannot be raised to a negative power")
    if a < 0 and not b.is_integer():
        raise ValueError("a negative base needs an integer exponent for a real result")
    return math.pow(a, b)


def _log(x: float) -> float:
    if x <= 0:
        raise ValueError("logarithm needs x > 0")
    return math.log(x)


def _sqrt(x: float) -> float:
    if x < 0:
        raise ValueError("square root needs x >= 0")
    return math.sqrt(x)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-math.fabs(x)))


def _gelu(x: float) -> float:
    return 0.5 * x * (1.0 + math.erf(x * _SQRT_HALF))


def _maximum(a: float, b: float) -> float:
    return a if a >= b else b


def _first_is_larger(a: Any, b: Any) -> Any:
    """1 where a >= b else 0: d max(a, b)/da (ties go to a; branch-free, arrays too)."""
    return (_data(a) >= _data(b)) * 1.0


def _second_is_larger(a: Any, b: Any) -> Any:
    """1 where b > a else 0: d max(a, b)/db."""
    return (_data(b) > _data(a)) * 1.0


def _power_base_partial(a: Any, b: Any) -> Any:
    """d(a**b)/da = b * a**(b - 1); 0 at a = b = 0, where a**(b - 1) is undefined."""
    x, e = _data(a), _data(b)
    if isinstance(x, float) and isinstance(e, float):
        return 0.0 if x == 0 and e == 0 else b * pow(a, b - 1.0)
    import numpy  # arrays: element-wise

    return numpy.where((x == 0) & (e == 0), 0.0, b * pow(a, b - 1.0))


def _power_exponent_partial(a: Any, b: Any, out: Any) -> Any:
    """d(a**b)/db = a**b * log(a); its limit 0 at a = 0 (b > 0)."""
    x = _data(a)
    if isinstance(x, float):
        return 0.0 if x == 0 else out * log(a)
    import numpy  # arrays: element-wise

    zero = x == 0
    return numpy.where(zero, 0.0, out * log(numpy.where(zero, 1.0, x)))


def _bell(x: Any, scale: float) -> Any:
    """exp(-scale * x * x); exactly 0.0 (a constant) where that underflows, so
    the derivatives of erf and gelu stay finite at any input (|x| > 40)."""
    v = _data(x)
    if isinstance(v, float):
        return 0.0 if math.fabs(v) > 40.0 else exp(-scale * x * x)
    import numpy  # arrays: element-wise

    return numpy.exp(-scale * numpy.minimum(numpy.abs(x), 40.0) ** 2)


def _sigmoid_arrays(x: Any) -> Any:
    import numpy

    z = numpy.exp(-numpy.abs(x))
    return numpy.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def _softplus_arrays(x: Any) -> Any:
    import numpy

    return numpy.maximum(x, 0.0) + numpy.log1p(numpy.exp(-numpy.abs(x)))


def _relu_arrays(x: Any) -> Any:
    import numpy

    return numpy.maximum(x, 0.0)


add: Op = define_op("add", operator.add, [1.0, 1.0], "+", affine=True,
                array_forward=_ufunc("add"), doc="a + b")
sub: Op = define_op("sub", operator.sub, [1.0, -1.0], "-", affine=True,
                array_forward=_ufunc("subtract"), doc="a - b")
mul: Op = define_op("mul", operator.mul, [lambda a, b: b, lambda a, b: a], "*", affine=True,
                array_forward=_ufunc("multiply"), doc="a * b (affine in each input)")
maximum: Op = define_op("maximum", _maximum, [_first_is_larger, _second_is_larger], "max",
                    # it has a kink where a == b; domains are per input, so samples keep a > b
                    domains=[_POSITIVE, Domain(high=0.0)], array_forward=_ufunc("maximum"),
                    doc="max(a, b); a tie passes the gradient to a (softmax shifts use it)")
neg: Op = define_op("neg", operator.neg, [-1.0], "neg", affine=True,
                array_forward=_ufunc("negative"),
                doc="-a")
exp: Op = define_op("exp", math.exp, [lambda x, out: out], "exp", array_forward=_ufunc("exp"),
                doc="e ** x")
log: Op = define_op("log", _log, [lambda x: 1.0 / x], "log", domains=[_POSITIVE],
                array_forward=_ufunc("log"), doc="natural logarithm, x > 0")
div: Op = define_op("div", _divide, [lambda a, b: 1.0 / b, lambda a, b, out: -out / b], "/",
                domains=[Domain(), _NONZERO], array_forward=_ufunc("divide"),
                doc="a / b, b != 0")
pow: Op = define_op("pow", _power,
                [_power_base_partial, _power_exponent_partial], "**",
                domains=[_POSITIVE, Domain()], array_forward=_ufunc("power"),
                doc="a ** b; a negative base needs an integer exponent")
sqrt: Op = define_op("sqrt", _sqrt, [lambda x, out: 0.5 / out], "sqrt", domains=[_POSITIVE],
                 array_forward=_ufunc("sqrt"), doc="square root, x >= 0")
tanh: Op = define_op("tanh", math.tanh, [lambda x, out: 1.0 - out * out], "tanh",
                 array_forward=_ufunc("tanh"), doc="hyperbolic tangent")
sigmoid: Op = define_op("sigmoid", _sigmoid, [lambda x, out: out * (1.0 - out)], "σ",
                    array_forward=_sigmoid_arrays, doc="logistic function 1 / (1 + e ** -x)")
relu: Op = define_op("relu", lambda x: x if x > 0 else 0.0, [_relu_slope], "ReLU",
                     domains=[_NONZERO], array_forward=_relu_arrays,
                     doc="max(0, x); relu'(0) = 0")
sin: Op = define_op("sin", math.sin, [lambda x: cos(x)], "sin", array_forward=_ufunc("sin"),
                doc="sine")
cos: Op = define_op("cos", math.cos, [lambda x: -sin(x)], "cos", array_forward=_ufunc("cos"),
                doc="cosine")
erf: Op = define_op("erf", math.erf, [lambda x: _TWO_OVER_SQRT_PI * _bell(x, 1.0)], "erf",
                doc="Gauss error function")
gelu: Op = define_op(
    "gelu", _gelu,
    [lambda x: 0.5 * (1.0 + erf(x * _SQRT_HALF)) + x * _bell(x, 0.5) * _ONE_OVER_SQRT_2PI],
    "GELU", doc="x * Φ(x), the exact (erf) Gaussian error linear unit",
)
softplus: Op = define_op("softplus", _softplus, [lambda x: sigmoid(x)], "softplus",
                     array_forward=_softplus_arrays, doc="log(1 + e ** x), without overflow")
abs: Op = define_op("abs", math.fabs, [_sign], "abs", domains=[_NONZERO],
                 array_forward=_ufunc("fabs"), doc="|x|; abs'(0) = 0")


def _attach_operators() -> None:
    """Give ``Value`` its operators and methods, each generated from its op
    (the forward inlined: these are the engine's forward hot path)."""
    binary = {"add": "add", "sub": "sub", "mul": "mul", "truediv": "div", "pow": "pow"}
    for dunder, name in binary.items():
        op = globals()[name]
        setattr(Value, f"__{dunder}__", operator_method(op))
        setattr(Value, f"__r{dunder}__", operator_method(op, reflected=True))
    for name in ("__neg__", "__abs__"):
        setattr(Value, name, operator_method(neg if name == "__neg__" else abs))
    for name in ("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "gelu", "softplus", "sin",
                 "cos", "erf", "abs"):
        setattr(Value, name, operator_method(globals()[name]))


_attach_operators()
