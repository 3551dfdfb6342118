"""Reporting: figures of the laws, the summary and the Markdown tables."""
