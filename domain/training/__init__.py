"""Training-request approval: the business rules shared by every variant (see rules.py, models.py)."""
