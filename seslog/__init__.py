"""seslog: what happened to the mail SES sent, from the command line.

Queries run on the stack's Athena workgroup or, with ``--local DIR``, on a directory of
objects laid out as Firehose writes them. ``python -m seslog --help`` lists the commands.
"""
