"""Rules as data: loading, validation, the registry of rule kinds and the docs generator.

``load_rules(dirs=())`` returns the bundled rules (``rules/``) layered with extra folders;
``RuleSet.examples()`` yields ``(text, msg_id, phase, cause)`` from every rule example.
"""

from __future__ import annotations

from pipeline.rules.kinds import KINDS, Problem
from pipeline.rules.loader import RuleSet, bundled_rules_dir, canonical_id, collect, load_rules

__all__ = ["KINDS", "Problem", "RuleSet", "bundled_rules_dir", "canonical_id", "collect", "load_rules"]
