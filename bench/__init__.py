"""The benchmark: which format and partitioning a team should choose, in bytes, seconds and dollars.

``python -m bench`` (``make bench``) writes a generated month of SES events in every layout as
Firehose would, measures what each investigation query reads and how long DuckDB takes, and
writes the table to ``bench/results/``.
"""
