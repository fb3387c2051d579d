"""casewatch: weekly monitoring of Chinese business-environment reform cases.

The command line and configuration live here; the stages are the packages
`scrapers`, `classify`, `store`, `digests`, wired by `flows`.
"""

__version__ = "0.1.0"
