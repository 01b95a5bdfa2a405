"""The ``glassgrad`` command line, kept above ``nn`` and ``viz``.

``engine``, ``nn`` and ``viz`` are the libraries; this package only wires them
into commands (``glassgrad demo``, ``glassgrad train``). Nothing imports it.
"""
