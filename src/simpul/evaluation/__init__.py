"""Evaluation: the numbers a region is judged by.

The calculators here are pure (no database, no I/O besides reading packaged rule sets):
``ikm`` (the community satisfaction index, PermenPANRB 14/2017), ``spbe`` (the SPBE index,
PermenPANRB 59/2020, as a versioned rule set shipped as data under ``rulesets/``) and
``smartcity`` (the smart city index and its year-over-year improvement). ``cli`` is the
``simpul evaluate`` command that runs them on files. Subpackages (surveys, KPIs, assessments)
store inputs and results per region and call these calculators.
"""
