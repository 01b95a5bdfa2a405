"""Save and load models as JSON — never pickle, so a model file is plain,
readable data and loading one can never run code.

A file holds the architecture (to rebuild the model) and every parameter by
name. Writing is atomic (:func:`engine.files.write_atomically`): a crash
never leaves half a file. Loading checks everything before changing anything,
and reads only regular files of at most :data:`MAX_FILE_BYTES`.
"""

from __future__ import annotations

import json
import os
import stat
from typing import Any

from engine.checks import short_repr
from engine.files import write_atomically
from nn.layers import build
from nn.limits import parameter_budget
from nn.module import Module

__all__ = ["FORMAT", "MAX_FILE_BYTES", "VERSION", "load", "load_into", "read", "save"]

FORMAT = "glassgrad-model"
VERSION = 1
MAX_FILE_BYTES = 128 * 2**20
"""The largest model file ``load`` reads (128 MiB): room for
``nn.MAX_PARAMETERS`` parameters with long names."""


def save(model: Module, path: str | os.PathLike[str]) -> None:
    """Write ``model``'s architecture and parameters to ``path`` as JSON, atomically.

    Floats are written with full precision, so loading gives back exactly
    the same numbers."""
    if not isinstance(model, Module):
        raise TypeError(f"save: expected an nn.Module, got {type(model).__name__}")
    document = {
        "format": FORMAT,
        "version": VERSION,
        "architecture": model.config(),
        "parameters": model.state_dict(),
    }
    write_atomically(path, json.dumps(document, indent=1, allow_nan=False) + "\n")


def read(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The checked contents of a model file: its architecture and parameters.

    Raises ``FileNotFoundError``/``OSError`` if it cannot be read, and
    ``ValueError`` naming the file if it is not a complete glassgrad model:
    not a regular file, over :data:`MAX_FILE_BYTES`, not JSON, nested too
    deeply, or a header other than ``save`` writes."""
    name = str(path)
    text = _read_text(path)
    try:
        document = json.loads(text)
    except RecursionError:
        raise ValueError(f"{name!r} is nested too deeply to be a glassgrad model file") from None
    except ValueError as error:  # JSONDecodeError, or an int too long to convert
        raise ValueError(f"{name!r} is not valid JSON (truncated or corrupt?): "
                         f"{str(error)[:120]}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{name!r} is not a glassgrad model file (no \"format\": \"{FORMAT}\")")
    version = document.get("version")
    if type(version) is not int or version != VERSION:
        raise ValueError(f"{name!r} has model format version {short_repr(version)}; "
                         f"this glassgrad reads version {VERSION}")
    if not isinstance(document.get("architecture"), dict):
        raise ValueError(f"{name!r} lacks the model's architecture")
    if not isinstance(document.get("parameters"), dict):
        raise ValueError(f"{name!r} lacks the model's parameters")
    return document


def _read_text(path: str | os.PathLike[str]) -> str:
    """The file's text, refusing before reading anything that is not a
    regular file (a FIFO would block, a device never end) or is too big."""
    name = str(path)
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(handle)
        mode = info.st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(f"{name!r} is a folder, not a model file")
        if not stat.S_ISREG(mode):
            raise ValueError(f"{name!r} is not a regular file (a device, FIFO or socket); "
                             f"a model file is a plain JSON file")
        data = b""
        if info.st_size <= MAX_FILE_BYTES:  # read a little more in case it grows
            with os.fdopen(handle, "rb", closefd=False) as file:
                data = file.read(MAX_FILE_BYTES + 1)
    finally:
        os.close(handle)
    if info.st_size > MAX_FILE_BYTES or len(data) > MAX_FILE_BYTES:
        raise ValueError(f"{name!r} is over nn.serialization.MAX_FILE_BYTES = "
                         f"{MAX_FILE_BYTES:,} bytes, too big for a glassgrad model file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{name!r} is not a glassgrad model file (not UTF-8 text)") from None


def load(path: str | os.PathLike[str]) -> Module:
    """Rebuild the model saved in ``path`` (architecture and parameters).

    The parameter count the architecture declares is checked against the
    parameters the file holds before anything is built."""
    document = read(path)
    parameters = document["parameters"]
    try:
        with parameter_budget(len(parameters), f"the file holds {len(parameters):,}"):
            model = build(document["architecture"])
        _check_architecture(document["architecture"], model.config(), "as glassgrad saves it")
        model.load_state_dict(parameters)
    except (TypeError, ValueError, ArithmeticError) as error:
        raise ValueError(f"{str(path)!r}: {error}") from None
    return model


def load_into(model: Module, path: str | os.PathLike[str]) -> None:
    """Load the parameters saved in ``path`` into ``model``, whose architecture
    must be the saved one. On any error ``model`` is left unchanged."""
    document = read(path)
    try:
        _check_architecture(document["architecture"], model.config(), "this model")
        model.load_state_dict(document["parameters"])
    except (TypeError, ValueError, ArithmeticError) as error:
        raise ValueError(f"{str(path)!r}: {error}") from None


def _check_architecture(saved: dict[str, Any], config: dict[str, Any], ours: str) -> None:
    """The one architecture check of ``load`` and ``Module.load``: the file's
    architecture must be exactly what the model's ``config()`` gives, types
    included (``2.0`` or ``true`` is not ``2`` or ``1``)."""
    if _canonical(saved) != _canonical(config):
        raise ValueError(f"holds a different architecture: {_canonical(saved):.150} "
                         f"({ours}: {_canonical(config):.150})")


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True)
