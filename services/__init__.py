"""Services that talk to the outside world: outgoing mail (mail.py) and the invoice PDF (invoice_pdf.py)."""
