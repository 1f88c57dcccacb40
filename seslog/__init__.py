"""seslog: what happened to the mail SES sent, and why, from the command line.

Queries run on the stack's Athena workgroup or, with ``--local DIR``, on a directory of
objects laid out as Firehose writes them. ``seslog --help`` lists the commands.
"""

__version__ = "0.1.0"
