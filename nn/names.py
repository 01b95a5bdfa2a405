"""``load_names``: the names dataset, read from a file shipped inside the
package — it never touches the network.

The list holds the 5,163 distinct first names (lower case, a-z) of the US
Census Bureau's 1990 first-name files (``dist.female.first`` and
``dist.male.first``, public domain; the same files the PyPI package
``names`` carries), the data Karpathy's microgpt trains on.
"""

from __future__ import annotations

import random
from importlib import resources

__all__ = ["load_names"]

NAMES_FILE = "names.txt"


def load_names(*, shuffle: bool = False, seed: int | None = 42) -> list[str]:
    """Every name in the shipped list, sorted (or shuffled with ``seed`` when
    ``shuffle`` is true). Reads a package data file: no network, no download.

    >>> names = load_names()
    >>> len(names), names[:3]
    (5163, ['aaron', 'abbey', 'abbie'])
    """
    text = resources.files("nn").joinpath("data").joinpath(NAMES_FILE).read_text(encoding="utf-8")
    names = [line.strip() for line in text.splitlines() if line.strip()]
    if shuffle:
        random.Random(seed).shuffle(names)
    return names
