"""Compaction: the event objects rewritten, an arrival hour at a time, into two narrow tables shaped like the answers.

- ``tables``: what a row of each table holds, its hash bucket and sort order, and the queries it answers;
- ``manifest``: which arrival units are compacted, from which objects, into which files;
- ``store``: where objects and files live: a local copy or the bucket;
- ``run``: one run: compact the units whose objects changed, merge a closed day's hours, drop what expired;
- ``reading``: a lookup from the compacted files plus the objects not compacted yet, on DuckDB and on Athena;
- ``handler`` and ``package``: the stack's hourly job (AWS Lambda) and the package it runs from.
"""
