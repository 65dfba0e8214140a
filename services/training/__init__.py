"""The training request's steps, one module per business step, each a typed function the durable flows call in
steps plus the Lambda handler a Task state invokes: upload.py (starts a workflow), intake.py ("Record Request"),
screen_request.py ("Screen Request"), hr_review.py ("Request HR Review" and HR's answer), saga.py (the enrollment
saga's steps and compensations), result.py ("Write Result"); audit.py is the request's workflow log. The
counterparts (budget, provider, calendar) live in services/simulated."""
