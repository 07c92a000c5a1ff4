"""``eli5-compat migrate``: make eli5 0.11 notebooks and scripts run on TensorFlow 2.16+.

Rewrites eli5 imports to eli5_compat, removes ``disable_eager_execution()`` /
``disable_v2_behavior()``, names the arguments of Keras 2-style positional ``compile()``
calls, installs eli5-compat instead of eli5, and reports what it cannot fix safely.
"""
from ._document import MigrationError, Migrated, migrate_cell, migrate_notebook, migrate_source
from ._files import FileOutcome, find_files, migrate_file, migrated_name
from ._report import Finding, render, summary

__all__ = ["Finding", "Migrated", "MigrationError", "FileOutcome", "migrate_cell", "migrate_source",
           "migrate_notebook", "migrate_file", "find_files", "migrated_name", "render", "summary"]
