"""The SES event log as data: the event schema, storage formats and partitioning schemes.

Plain Python with no Pulumi dependency, so the Pulumi components, the tests, the
command-line tool and the benchmark all read the same facts from one place.
"""
