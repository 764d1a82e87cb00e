"""classicx's benchmarks, a package of scripts that write ``benchmarks/RESULTS.md``.

Run a script from the repository root as ``python -m benchmarks.bench_image``
or as a file, ``python benchmarks/bench_image.py`` (classicx must be
importable: installed, or the repository root on ``PYTHONPATH``). What the
scripts share lives in ``_common.py`` (RESULTS.md sections, timing, machine
load, memory-capped workers, synthetic data) and ``_learners.py`` (the
learner table of ``wikipedia_features`` and ``bench_learners``); see the
docstring of ``_common`` for how a script imports them both ways.
"""
