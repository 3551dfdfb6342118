"""Reporting: figures of the laws, the summary and the Markdown tables; ``ddlaws-laws``, which runs the law
stages and these on a table of accuracies."""
