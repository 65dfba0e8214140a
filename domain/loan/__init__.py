"""Loan approval: the business rules shared by every variant (see rules.py, validation.py, models.py)."""
