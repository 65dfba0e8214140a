"""The counterparts this reference project simulates, together, as adapters: the three credit bureaus, the
external fraud service (a Lambda of its own), the training budget, provider booking and calendar. Deterministic
per input, so a replay, a retry or a rerun sees the same answer."""
