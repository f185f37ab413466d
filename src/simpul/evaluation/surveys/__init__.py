"""The IKM satisfaction survey (PermenPANRB 14/2017): citizens rate a completed application,
the region reads the index per service and agency."""
