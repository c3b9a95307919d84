"""Findings: scored attack paths stored as ``:Finding`` nodes, linked to the assets on their path.

``analysis.run_analysis`` produces them, ``query`` reads them (the API and CLI share it), ``sarif`` and
``csvout`` export them."""
