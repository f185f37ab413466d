"""The region admin's monitor of the gateway's traffic: calls, errors, latency, refusals."""
