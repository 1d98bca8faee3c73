"""abigate's fuzzing tier (issue 11): hostile-input generators, a forking harness and its verdicts.

Used by ``scripts/fuzz.py`` (the long run, figures in ``docs/reliability.md``) and by
``tests/test_fuzz_sample.py`` (a fast seeded sample of every family in the pytest suite). Each generator
takes a :class:`random.Random` and a fresh folder, writes one hostile input there and returns a
:class:`~fuzzing.case.Case`: the abigate command a user would run on it and the exit codes the documentation
allows for it. Everything is deterministic for a given seed, so any failing case can be rebuilt from its
family, seed and index alone (``scripts/fuzz.py --replay``).

The harness runs each case in a child forked from a warm worker that has already imported abigate (about
10 ms per input instead of ~200 ms for a fresh interpreter), under a wall-clock limit and an address-space
limit, and reads the child's peak RSS from ``wait4``; see :mod:`fuzzing.worker`.
"""
