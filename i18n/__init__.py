"""What the portal says and how it writes numbers, in the reader's language.

Below the models: models, services (PDFs, emails) and views all use it; it imports nothing of theirs.
- `formatting`: money, dates, times, numbers, quantities, percents (Babel, in the current locale).
- `labels`: the words for statuses and payment methods, defined once for pages, PDFs and emails.
- `refusals`: the sentence for each refusal code the models raise (models/refusal.py).
"""
