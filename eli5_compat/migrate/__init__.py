"""``eli5-compat migrate``: make eli5 0.11 notebooks and scripts run on TensorFlow 2.16+.

Rewrites eli5 imports to eli5_compat and eli5 installs to eli5-compat, removes every statement
that turns eager execution off, fixes Keras 2 code for Keras 3 where the meaning is certain
(positional ``compile()``, generator methods, ``lr=``, moved modules, layer ``.output_shape``,
extension-less model paths), and reports what it cannot fix safely with the hand fix.

Every entry point takes ``target="keras3"`` (the default: Keras 2 -> 3 fixes and reports too) or
``target="tf-keras"`` (only the eli5 imports/installs, the eager switch and imports of the
standalone ``keras`` package, pointed at ``tf_keras``, change; the code keeps its Keras 2 API and
runs with ``TF_USE_LEGACY_KERAS=1``). Any other value raises ValueError.
The target is recorded on ``Migrated.target`` / ``FileOutcome.target``, and :func:`render`
(given ``target=``) starts the report with the line ``Target: <target> (<meaning>)``.
"""
from ._document import MigrationError, Migrated, migrate_cell, migrate_notebook, migrate_source
from ._files import FileOutcome, find_files, migrate_file, migrated_name
from ._report import TARGETS, Finding, check_target, render, summary

__all__ = ["TARGETS", "check_target", "Finding", "Migrated", "MigrationError", "FileOutcome", "migrate_cell", "migrate_source",
           "migrate_notebook", "migrate_file", "find_files", "migrated_name", "render", "summary"]
