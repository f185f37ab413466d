"""The regions of this installation side by side, on aggregates only."""
