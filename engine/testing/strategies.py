"""Hypothesis strategies: points inside an op's domain, and random graphs over
every op in ``engine.REGISTRY``.

``expressions()`` reads the registry each time it draws, so an op defined
with ``engine.define_op`` is covered with no new code. Every op is applied
only where its :class:`engine.Domain` says it is smooth (at least ``margin``
away from kinks and edges), intermediate values stay bounded, and terms are
reused, so the graphs are DAGs with shared sub-expressions — where
backpropagation has to add up contributions correctly. A drawn graph prints
as a formula and shrinks to a small one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from engine import ops as builtin_ops
from engine.checks import short_repr
from engine.op import REGISTRY, Domain, Op
from engine.value import Value

__all__ = ["Application", "Expression", "expressions", "magnitudes", "op_inputs", "values"]

_INFIX = frozenset({"+", "-", "*", "/", "**"})


def values(
    domain: Domain | None = None, *, bound: float = 3.0, margin: float = 0.1
) -> st.SearchStrategy[float]:
    """Finite floats inside ``domain`` and within ``[-bound, bound]``, at least
    ``margin`` away from the domain's edges and from the points it avoids.

    >>> from engine import Domain
    >>> strategy = values(Domain(low=0.0))     # e.g. for log: x >= 0.1
    """
    domain = Domain() if domain is None else domain
    if not isinstance(domain, Domain):
        raise TypeError(f"values: domain must be an engine.Domain, got {short_repr(domain)}")
    if not (isinstance(bound, (int, float)) and 0 < bound < math.inf):
        raise ValueError(f"values: bound must be a positive finite number, got {short_repr(bound)}")
    if not (isinstance(margin, (int, float)) and 0 <= margin < math.inf):
        raise ValueError(f"values: margin must be a finite number >= 0, got {short_repr(margin)}")
    low, high = max(domain.low + margin, -bound), min(domain.high - margin, bound)
    if not low < high:
        raise ValueError(
            f"values: no room in {domain} within ±{bound} at margin {margin}: "
            "widen bound or shrink margin"
        )
    floats = st.floats(
        low,
        high,
        exclude_min=low == domain.low,
        exclude_max=high == domain.high,
        allow_nan=False,
        allow_infinity=False,
    )
    avoid = [p for p in domain.avoid if low - margin <= p <= high + margin]
    if not avoid:
        return floats
    return floats.filter(lambda x: all(abs(x - p) >= margin and x != p for p in avoid))


def magnitudes(
    domain: Domain | None = None, *, smallest: float = 1e-8, largest: float = 1e8
) -> st.SearchStrategy[float]:
    """Floats of either sign whose size ranges evenly over the decades from
    ``smallest`` to ``largest`` (1e-8, 3.7e-5, 2e3, 9e7 ... are all as likely),
    inside ``domain`` and not within ``smallest`` of a point it avoids: for
    testing at every scale, where :func:`values` stays near 1.

    >>> from engine import Domain
    >>> strategy = magnitudes(Domain(low=0.0))     # e.g. for log: 1e-8 .. 1e8
    """
    domain = Domain() if domain is None else domain
    if not isinstance(domain, Domain):
        raise TypeError(f"magnitudes: domain must be an engine.Domain, got {short_repr(domain)}")
    if not (isinstance(smallest, (int, float)) and isinstance(largest, (int, float))
            and 0 < smallest < largest < math.inf):
        raise ValueError(f"magnitudes: need 0 < smallest < largest < inf, got "
                         f"{short_repr(smallest)} and {short_repr(largest)}")
    exponents = st.floats(math.log10(smallest), math.log10(largest))
    sized = st.builds(lambda sign, e: sign * 10.0**e, st.sampled_from([1.0, -1.0]), exponents)
    return sized.filter(
        lambda x: domain.low < x < domain.high
        and all(abs(x - p) >= smallest * max(1.0, abs(p)) for p in domain.avoid))


def op_inputs(
    op: Op | str, *, bound: float = 3.0, margin: float = 0.1
) -> st.SearchStrategy[tuple[float, ...]]:
    """Points where ``op`` (an :class:`engine.Op` or its name) is smooth: one
    float per argument, each drawn by :func:`values` from the op's ``domains``."""
    op = resolve(op, "op_inputs")
    return st.tuples(*(values(d, bound=bound, margin=margin) for d in op.domains))


@dataclass(frozen=True)
class Application:
    """One op application in an :class:`Expression`: each argument is an
    ``int`` (the index of an earlier term: inputs first, then applications) or a
    ``float`` (a constant)."""

    op: Op
    args: tuple[int | float, ...]


class Expression:
    """A computation graph over ops, rebuildable from its inputs.

    ``inputs`` are the floats of the drawn point; ``applications`` the op
    applications, the last being the output. ``str()`` gives the formula,
    naming a sub-expression used more than once (``h0``) so sharing shows::

        exp(h0) + log(h0) where h0 = x0 * x1

    Call it on ``Value`` nodes (``expr(*xs)`` or ``expr.build(xs)``) to
    rebuild the graph; ``gradcheck(expr, expr.inputs)`` checks it.
    """

    __slots__ = ("applications", "inputs")

    def __init__(self, inputs: Sequence[float], applications: Sequence[Application]) -> None:
        self.inputs: tuple[float, ...] = tuple(float(x) for x in inputs)
        self.applications: tuple[Application, ...] = tuple(applications)
        if not self.applications:
            raise ValueError("Expression: needs at least one op application")
        for k, app in enumerate(self.applications):
            if len(app.args) != app.op.arity:
                raise ValueError(
                    f"Expression: application {k} gives {app.op.name} {len(app.args)} args")
            for a in app.args:
                if isinstance(a, int) and not 0 <= a < len(self.inputs) + k:
                    raise ValueError(
                        f"Expression: application {k} refers to term {a}, not defined yet")

    # -- rebuilding ------------------------------------------------------------

    def build(
        self,
        values: Sequence[Any] | None = None,
        *,
        apply: Callable[..., Any] | None = None,
    ) -> Any:
        """The output of the graph computed from ``values`` (default: fresh
        ``Value`` leaves holding ``inputs``). ``apply(op, *args)`` computes
        each application (default ``op(*args)``); pass another to evaluate the same
        formula elsewhere, e.g. in PyTorch."""
        terms = [Value(x) for x in self.inputs] if values is None else list(values)
        if len(terms) != len(self.inputs):
            raise TypeError(
                f"Expression.build: takes {len(self.inputs)} input(s), got {len(terms)}"
            )
        for app in self.applications:
            args = [terms[a] if isinstance(a, int) else a for a in app.args]
            terms.append(app.op(*args) if apply is None else apply(app.op, *args))
        return terms[-1]

    def __call__(self, *values: Any) -> Any:
        """``build(values)``: makes an Expression a function for gradcheck."""
        return self.build(values)

    # -- inspecting ------------------------------------------------------------

    @property
    def ops(self) -> tuple[str, ...]:
        """The name of each application's op, in order."""
        return tuple(app.op.name for app in self.applications)

    def uses(self) -> list[int]:
        """How many times each term (inputs, then applications) is an argument."""
        counts = [0] * (len(self.inputs) + len(self.applications))
        for app in self.applications:
            for a in app.args:
                if isinstance(a, int):
                    counts[a] += 1
        return counts

    @property
    def reused(self) -> int:
        """How many applications are arguments of more than one other (reused terms)."""
        return sum(1 for count in self.uses()[len(self.inputs):] if count > 1)

    @property
    def depth(self) -> int:
        """The number of ops on the longest path from an input to the output."""
        depths = [0] * len(self.inputs)
        for app in self.applications:
            depths.append(1 + max((depths[a] for a in app.args if isinstance(a, int)), default=0))
        return depths[-1]

    # -- printing --------------------------------------------------------------

    def __str__(self) -> str:
        n = len(self.inputs)
        uses = self.uses()
        names = {i: f"x{i}" for i in range(n)}
        for k in range(len(self.applications) - 1):
            if uses[n + k] > 1:
                names[n + k] = f"h{len(names) - n}"
        formula = self._formula(n + len(self.applications) - 1, names)
        definitions = [f"{names[t]} = {self._formula(t, names)}" for t in sorted(names) if t >= n]
        return f"{formula} where {', '.join(definitions)}" if definitions else formula

    def __repr__(self) -> str:
        return f"Expression({str(self)!r}, inputs={list(self.inputs)!r})"

    def _formula(self, term: int, names: dict[int, str], bracket: bool = False) -> str:
        """The formula of an application's term; infix ones in brackets if ``bracket``."""
        app = self.applications[term - len(self.inputs)]
        if _is_infix(app.op):
            left, right = (self._render(a, names, bracket=True) for a in app.args)
            text = f"{left} {app.op.symbol} {right}"
            return f"({text})" if bracket else text
        return f"{app.op.name}({', '.join(self._render(a, names) for a in app.args)})"

    def _render(self, term: int | float, names: dict[int, str], bracket: bool = False) -> str:
        """An argument as text: a constant, a name (x0, h0), or a formula."""
        if not isinstance(term, int):
            return f"({term!r})" if bracket and term < 0 else repr(term)
        if term in names:
            return names[term]
        return self._formula(term, names, bracket)


def expressions(
    ops: Iterable[Op | str] | None = None,
    *,
    max_inputs: int = 3,
    max_ops: int = 8,
    bound: float = 3.0,
    max_magnitude: float = 100.0,
    margin: float = 0.1,
) -> st.SearchStrategy[Expression]:
    """Random computation graphs (:class:`Expression`) over ``ops``.

    ``ops`` are names or :class:`engine.Op`; by default every op in
    ``engine.REGISTRY`` when the example is drawn, user-defined ones included.
    Each graph has 1 to ``max_inputs`` inputs drawn from ``[-bound, bound]``
    and up to ``max_ops`` op applications, each taking earlier terms (reused
    freely: a DAG, not only a tree) or now and then a constant. An op is only
    applied to arguments at least ``margin`` inside its ``Domain`` (away from
    kinks such as relu's 0, and singularities such as log's or div's 0), and
    only kept when its result is within ``±max_magnitude``, so every
    intermediate value is finite and finite differences can be trusted.

    >>> from hypothesis import given
    >>> from engine.testing import gradcheck
    >>> @given(expressions())
    ... def test_gradients(expr):
    ...     assert gradcheck(expr, expr.inputs)
    """
    for name, number in (("max_inputs", max_inputs), ("max_ops", max_ops)):
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise ValueError(f"expressions: {name} must be an int >= 1, got {short_repr(number)}")
    if not (isinstance(max_magnitude, (int, float)) and max_magnitude > 0):
        raise ValueError(f"expressions: max_magnitude must be > 0, got {short_repr(max_magnitude)}")
    chosen = None if ops is None else list(ops)
    inputs = values(bound=bound, margin=margin)
    return _expressions(chosen, max_inputs, max_ops, inputs, bound, max_magnitude, margin)


@st.composite
def _expressions(
    draw: st.DrawFn,
    ops: list[Op | str] | None,
    max_inputs: int,
    max_ops: int,
    inputs: st.SearchStrategy[float],
    bound: float,
    max_magnitude: float,
    margin: float,
) -> Expression:
    if ops is None:
        available = list(REGISTRY.values())  # read now: ops defined later are drawn too
    else:
        available = [resolve(op, "expressions") for op in ops]
    if not available:
        raise ValueError("expressions: no ops to draw from")
    point = [draw(inputs) for _ in range(draw(st.integers(1, max_inputs)))]
    terms = list(point)  # the value of every term so far
    applications: list[Application] = []
    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(available))
        args = _draw_args(draw, op, terms, bound, margin)
        if args is None:
            continue
        try:
            result = op.evaluate(*(terms[a] if isinstance(a, int) else a for a in args))
        except (ArithmeticError, ValueError):
            continue
        if abs(result) <= max_magnitude:
            applications.append(Application(op, args))
            terms.append(result)
    assume(applications)
    return _pruned(point, applications)


def _draw_args(
    draw: st.DrawFn, op: Op, terms: list[float], bound: float, margin: float
) -> tuple[int | float, ...] | None:
    """Arguments for op: one (the spine) is the latest term that fits its
    domain, which keeps the graph connected and deep; the others are any
    earlier fitting term (reuse, branches) or now and then a constant.
    None when no term fits any argument (the op is then skipped)."""
    spine = draw(st.integers(0, op.arity - 1))
    args: list[int | float] = []
    for k, domain in enumerate(op.domains):
        fitting = [i for i, x in enumerate(terms) if _inside(x, domain, margin)]
        if fitting and k == spine:
            args.append(fitting[-1])
        elif fitting and draw(st.integers(0, 7)) < 7:
            args.append(draw(st.sampled_from(fitting)))
        else:
            try:
                constants = values(domain, bound=bound, margin=margin)
            except ValueError:  # no room for a constant in this domain
                return None
            args.append(draw(constants))
    if not any(isinstance(a, int) for a in args):
        return None
    return tuple(args)


def _inside(x: float, domain: Domain, margin: float) -> bool:
    """Whether x is inside domain, at least margin from its edges and avoided points."""
    points = (domain.low, domain.high, *domain.avoid)
    return domain.low < x < domain.high and all(abs(x - p) >= margin and x != p for p in points)


def _pruned(point: list[float], applications: list[Application]) -> Expression:
    """The expression of the last application, without those it does not use."""
    n = len(point)
    needed = {n + len(applications) - 1}
    for k in range(len(applications) - 1, -1, -1):
        if n + k in needed:
            needed.update(a for a in applications[k].args if isinstance(a, int) and a >= n)
    kept = sorted(needed)
    new_index = {old: n + i for i, old in enumerate(kept)}
    renumbered = [
        Application(app.op, tuple(new_index.get(a, a) if isinstance(a, int) else a
                                  for a in app.args))
        for app in (applications[t - n] for t in kept)
    ]
    return Expression(point, renumbered)


def _is_infix(op: Op) -> bool:
    """Built-in binary ops with an operator symbol print infix (x0 * x1)."""
    return op.arity == 2 and op.symbol in _INFIX and getattr(builtin_ops, op.name, None) is op


def resolve(op: Op | str, where: str) -> Op:
    """An Op from an Op or a registered name."""
    if isinstance(op, Op):
        return op
    if isinstance(op, str):
        if op not in REGISTRY:
            raise ValueError(f"{where}: no op named {short_repr(op)} in engine.REGISTRY")
        return REGISTRY[op]
    raise TypeError(f"{where}: expected an engine.Op or an op name, got {short_repr(op)}")
