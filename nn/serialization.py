"""Save and load models as JSON — never pickle, so a model file is plain,
readable data and loading one can never run code.

A file holds the architecture (to rebuild the model) and every parameter by
name. Writing is atomic: a temporary file in the same folder, flushed and
fsynced, then renamed over the target, so a crash never leaves half a file.
Loading checks everything before changing anything.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from nn.layers import build
from nn.module import Module

__all__ = ["FORMAT", "VERSION", "load", "load_into", "save"]

FORMAT = "glassgrad-model"
VERSION = 1


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


def write_atomically(path: str | os.PathLike[str], text: str) -> None:
    """Replace ``path``'s contents with ``text`` in one step: readers see the
    old file or the new one, never a part. Errors name the path."""
    target = Path(path)
    folder = target.parent
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                             dir=folder)
    except OSError as error:
        raise OSError(f"cannot write {str(target)!r}: {error.strerror or error}") from None
    try:
        os.chmod(temporary, _mode_for(target))
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise OSError(f"cannot write {str(target)!r}: {error.strerror or error}") from None
        raise
    try:  # make the rename itself durable
        directory = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(directory)
    except OSError:
        pass
    finally:
        os.close(directory)


def _mode_for(target: Path) -> int:
    """The permissions a new file would get (mkstemp's are owner-only), or
    those of the file being replaced."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def read(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The checked contents of a model file: its architecture and parameters.

    Raises ``FileNotFoundError``/``OSError`` if it cannot be read, and
    ``ValueError`` naming the file if it is not a complete glassgrad model."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{name!r} is not a glassgrad model file (not UTF-8 text)") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{name!r} is not valid JSON (truncated or corrupt?): {error}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{name!r} is not a glassgrad model file (no \"format\": \"{FORMAT}\")")
    if document.get("version") != VERSION:
        raise ValueError(f"{name!r} has model format version {document.get('version')!r}; "
                         f"this glassgrad reads version {VERSION}")
    if not isinstance(document.get("architecture"), dict):
        raise ValueError(f"{name!r} lacks the model's architecture")
    if not isinstance(document.get("parameters"), dict):
        raise ValueError(f"{name!r} lacks the model's parameters")
    return document


def load(path: str | os.PathLike[str]) -> Module:
    """Rebuild the model saved in ``path`` (architecture and parameters)."""
    document = read(path)
    try:
        model = build(document["architecture"])
        model.load_state_dict(document["parameters"])
    except (TypeError, ValueError) as error:
        raise ValueError(f"{str(path)!r}: {error}") from None
    return model


def load_into(model: Module, path: str | os.PathLike[str]) -> None:
    """Load the parameters saved in ``path`` into ``model``, whose architecture
    must be the saved one. On any error ``model`` is left unchanged."""
    document = read(path)
    saved, ours = document["architecture"], model.config()
    if saved != ours:
        raise ValueError(f"{str(path)!r} holds a different architecture: "
                         f"{json.dumps(saved)} (this model: {json.dumps(ours)})")
    try:
        model.load_state_dict(document["parameters"])
    except (TypeError, ValueError) as error:
        raise ValueError(f"{str(path)!r}: {error}") from None
