"""`make bench`: a million invoices, the portal under gunicorn, and bare Flask beside it (see README, "Performance")."""
