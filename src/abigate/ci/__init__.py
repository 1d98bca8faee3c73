"""Glue for CI systems: what ``action.yml`` runs (:mod:`abigate.ci.github`)."""
