"""nianbao — search Chinese government information-disclosure annual reports.

The code flows one way: files → ``index`` (read, parse, check, write the
Whoosh index) → ``search`` (query, facets, passages, export) → ``web`` (the
Flask site).  This package is only the front door: the ``nianbao`` command.
"""

__version__ = "0.1.0"
