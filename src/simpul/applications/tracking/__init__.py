"""Tracking an application without logging in, its receipt (bukti pendaftaran) and the
citizen's cancellation of an application no officer has taken yet (decision 0051)."""
