"""The loan approval's steps, one module per business step, each a typed function (models in, model out) that
every variant calls, plus the Lambda handler the pure Step Functions variant's Task state invokes:

  intake.py             "Record Application"
  credit.py             "Pull <Bureau> Report" (credit report), "Score Credit"
  fraud.py              "Request Fraud Check", "Decide after Fraud Check"
  manager_approval.py   "Request Manager Approval" and the manager's answer (POST /approve/{id})
  offer.py              "Generate Loan Offer"
  disbursement.py       "Disburse Funds"

The rules they apply live in domain/loan; the counterparts they call (bureaus, fraud service) in
services/simulated; side effects go through services/common/bootstrap.py."""
