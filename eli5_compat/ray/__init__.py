"""Explanations for whole datasets on Ray Data: ``explain_dataset`` and ``eli5-compat explain --ray``.

Needs the ``ray`` extra (``pip install "eli5-compat[ray]"``); Ray is imported only when a run starts.
"""
from .dataset import DatasetRun, explain_dataset

__all__ = ["DatasetRun", "explain_dataset"]
