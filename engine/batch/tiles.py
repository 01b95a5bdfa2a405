"""Tiles: affine nodes of one depth cut into matrix products (phase 3 of :mod:`.plan`).

A tile is a set of affine nodes linked by the frontier nodes they read, say one
position's ``W @ x`` or its residual ``W @ h + x``, put in a canonical row and
column order; its key describes its matrix ``W`` (which sources and factors sit
where) whatever the frontier nodes are. Tiles with the same key (one weight matrix
applied at several positions) become ONE product over all their frontiers side by
side; the rest are merged into one product when dense enough, else run tile by
tile, and a tile too sparse itself node by node (nodes with the same terms, like
``x_v - shift`` for every score ``v``, again as one product).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from engine.value import Value

__all__ = ["Terms", "Tile", "linear_parts", "tiles_of"]

SPARSE = 4
"""Tiles of affine nodes that no other tile shares a matrix with run as one dense
product only if its matrix has at most this many entries per nonzero (plus a
little); sparser ones run tile by tile."""

Terms = dict[tuple[Value | None, int], float]
"""An affine node as ``{(frontier node, shared source): factor}``: the sum of
``factor * shared[source] * frontier``, where frontier ``None`` is the row of ones."""


@dataclass
class Tile:
    """Affine nodes linked by the frontier nodes they read: ``W @ frontier`` (plus
    biases), say one position's ``W @ x`` or its residual ``W @ h + x``."""

    nodes: list[Value]
    columns: list[Value]
    """The frontier, in the order of W's columns."""
    key: Any = None
    """Equal for tiles with the same ``W`` (same sources and factors in the same places)."""


def tiles_of(nodes: list[Value], affine: dict[Value, Terms]) -> list[Tile]:
    """``nodes`` cut into tiles (linked by the frontier nodes they read), each in a
    canonical row and column order so that tiles computing the same matrix product
    get the same key."""
    return [_canonical_tile(members, affine) for members in _linked(nodes, affine)]


def _linked(nodes: list[Value], affine: dict[Value, Terms]) -> list[list[Value]]:
    """``nodes`` split into groups that read no frontier node of another group."""
    readers: dict[Value | None, list[Value]] = defaultdict(list)
    for node in nodes:
        for x, _ in affine[node]:
            if x is not None:
                readers[x].append(node)
    seen: set[Value] = set()
    groups = []
    for node in nodes:
        if node in seen:
            continue
        seen.add(node)
        group, todo = [], [node]
        while todo:
            m = todo.pop()
            group.append(m)
            for x, _ in affine[m]:
                for other in readers.pop(x, ()):
                    if other not in seen:
                        seen.add(other)
                        todo.append(other)
        groups.append(group)
    return groups


def _canonical_tile(members: list[Value], affine: dict[Value, Terms]) -> Tile:
    """One tile, rows ordered by their (source, factor) terms and columns by where
    they appear, so the key below describes ``W`` whatever the frontier nodes are."""
    def weights(node: Value) -> list[tuple[int, float]]:
        return sorted((s, f) for (x, s), f in affine[node].items() if x is not None)

    members = sorted(members, key=weights)
    profile: dict[Value, list[tuple[int, int, float]]] = defaultdict(list)
    for r, node in enumerate(members):
        for (x, s), f in sorted(affine[node].items(), key=lambda t: (t[0][1], t[1])):
            if x is not None:
                profile[x].append((r, s, f))
    columns = sorted(profile, key=profile.__getitem__)
    key = (len(members), tuple(tuple(profile[x]) for x in columns))
    return Tile(members, columns, key)


def _dense_enough(nodes: list[Value], affine: dict[Value, Terms]) -> bool:
    """Whether one dense matrix for ``nodes`` is not too sparse (see ``SPARSE``)."""
    columns = {x for n in nodes for x, _ in affine[n]}
    nonzeros = sum(len(affine[n]) for n in nodes)
    return len(nodes) * len(columns) <= SPARSE * nonzeros + 64


def linear_parts(tiles: list[Tile], affine: dict[Value, Terms]) -> list[list[Tile]]:
    """The tiles grouped into products: tiles with the same matrix as one product;
    the others merged into one tile if its dense matrix is not too sparse, else tile
    by tile, and a tile too sparse itself node by node (nodes with the same terms
    again as one product: ``x_v - shift`` for every ``v``)."""
    parts, alone = _stacked(tiles)
    nodes = [n for tile in alone for n in tile.nodes]
    if nodes and _dense_enough(nodes, affine):
        merged = list(dict.fromkeys(x for tile in alone for x in tile.columns))
        return [*parts, [Tile(nodes, merged)]]
    sparse = []
    for tile in alone:
        if _dense_enough(tile.nodes, affine):
            parts.append([tile])
        else:
            sparse += tile.nodes
    more, rest = _stacked([_canonical_tile([n], affine) for n in sparse])
    return parts + more + [[tile] for tile in rest]


def _stacked(tiles: list[Tile]) -> tuple[list[list[Tile]], list[Tile]]:
    """Tiles with the same key, in groups of two or more; and the tiles left alone."""
    by_key: dict[Any, list[Tile]] = defaultdict(list)
    for tile in tiles:
        by_key[tile.key].append(tile)
    return ([same for same in by_key.values() if len(same) > 1],
            [same[0] for same in by_key.values() if len(same) == 1])
