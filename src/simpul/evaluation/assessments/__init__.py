"""The region's yearly self-assessments: the SPBE index (PermenPANRB 59/2020) with its
evidence, and the smart city evaluation with its year-over-year improvement."""
