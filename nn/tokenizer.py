"""``CharTokenizer``: text to token ids and back, one id per character, plus
a BOS ("beginning of sequence") token that marks where a document starts
and ends.

>>> tok = CharTokenizer(["ab", "ba"])
>>> tok.encode("ab"), tok.bos, tok.vocab_size
([0, 1], 2, 3)
>>> tok.decode([0, 1, 0])
'aba'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from engine.checks import short_repr

__all__ = ["CharTokenizer"]


class CharTokenizer:
    """The characters of ``docs``, sorted, get ids ``0 .. n - 1``; the BOS
    token gets id ``n``, so ``vocab_size`` is ``n + 1``."""

    def __init__(self, docs: Iterable[str]) -> None:
        texts = [docs] if isinstance(docs, str) else list(docs)
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"CharTokenizer: documents must be strings, got {short_repr(text)}")
        self.chars = "".join(sorted(set("".join(texts))))
        if not self.chars:
            raise ValueError("CharTokenizer: the documents contain no characters")
        self._ids = {c: i for i, c in enumerate(self.chars)}

    @property
    def bos(self) -> int:
        """The id of the BOS token (after every character's id)."""
        return len(self.chars)

    @property
    def vocab_size(self) -> int:
        """How many distinct tokens there are: the characters and BOS."""
        return len(self.chars) + 1

    def encode(self, text: str) -> list[int]:
        """The ids of ``text``'s characters (no BOS added)."""
        if not isinstance(text, str):
            raise TypeError(f"CharTokenizer.encode: expected a string, got {short_repr(text)}")
        unknown = sorted(set(text) - set(self._ids))
        if unknown:
            raise ValueError(f"CharTokenizer.encode: {short_repr(text)} has characters outside "
                             f"the vocabulary: {''.join(unknown)!r}")
        return [self._ids[c] for c in text]

    def document(self, text: str) -> list[int]:
        """``text`` as a training sequence: ``[BOS, *encode(text), BOS]``."""
        return [self.bos, *self.encode(text), self.bos]

    def decode(self, ids: Sequence[int]) -> str:
        """The text of ``ids``; BOS tokens are left out."""
        out = []
        for i in ids:
            if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i <= self.bos:
                raise ValueError(f"CharTokenizer.decode: {short_repr(i)} is not a token id "
                                 f"(0..{self.bos})")
            if i != self.bos:
                out.append(self.chars[i])
        return "".join(out)

    def __repr__(self) -> str:
        return f"CharTokenizer({self.chars!r} + BOS, vocab_size={self.vocab_size})"
