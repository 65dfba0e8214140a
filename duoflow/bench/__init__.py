"""The side-by-side benchmark: figures per run, the price table, and dollars per million runs."""
