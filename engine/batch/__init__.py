"""Batched mode: trace the scalar graph of ONE sample, replay it over a batch with numpy.

The model stays scalar — every number is a node you can print and draw — but
:func:`compile_batch` turns the traced graph into a short program of numpy steps
(one per group of like nodes at the same depth, affine trees fused into matrix
products), so a batch costs a handful of array operations instead of one Python
call per node per sample. Ops are evaluated from their own definitions in
:data:`engine.REGISTRY` (see :mod:`engine.batch.arrays`), user-defined ones included.

>>> from engine import Value
>>> from engine.batch import compile_batch
>>> x, y, w, b = Value(0.0), Value(0.0), Value(2.0), Value(0.5)
>>> score = w * x + b
>>> program = compile_batch((score - y) ** 2, inputs=[x, y], params=[w, b], outputs=[score])
>>> result = program([[1.0, 2.0], [3.0, 6.0]])   # mean over the batch by default
>>> result.losses.tolist(), result.loss, result.outputs.ravel().tolist()
([0.25, 0.25], 0.25, [2.5, 6.5])
>>> result.grads.tolist()                         # d loss / d w, d loss / d b
[2.0, 1.0]
"""

from engine.batch.program import BatchProgram, BatchResult, ProgramStats, compile_batch

__all__ = ["BatchProgram", "BatchResult", "ProgramStats", "compile_batch"]
