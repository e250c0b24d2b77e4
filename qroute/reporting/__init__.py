"""Reporting: result files, comparison records and the HTML report."""
