"""Evaluation rule sets shipped as data: one directory per rule set (``ruleset.toml`` + CSV).

``simpul.evaluation.spbe`` discovers every directory here that holds a ``ruleset.toml``; adding
a regulation means adding a directory, not code.
"""
