"""Risk rules: Cypher files with a YAML header, discovered in ``cypher/rules/`` and user directories.

``load_rules`` reads and checks them without a database; :mod:`cloudmap.rules.runner` checks each
query with ``EXPLAIN`` (read-only, syntax, returned columns) and runs it; :mod:`cloudmap.rules.scoring`
turns each matched path into a score, a level and the factors that explain it."""

from cloudmap.rules.loader import LEVELS, RISK_FACTORS, Rule, RuleProblem, builtin_rules_dir, load_rules, parse_rule

__all__ = ["LEVELS", "RISK_FACTORS", "Rule", "RuleProblem", "builtin_rules_dir", "load_rules", "parse_rule"]
