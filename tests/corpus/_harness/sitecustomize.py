"""Start-up hook for the corpus execution test (tests/test_corpus_run.py); does nothing unless
``ELI5_CORPUS_CALLS`` names a JSON-lines file. Only ever on PYTHONPATH for those runs."""
import os

if os.environ.get("ELI5_CORPUS_CALLS"):
    import _corpus_recorder

    _corpus_recorder.install(os.environ["ELI5_CORPUS_CALLS"], os.environ.get("ELI5_CORPUS_HEATMAPS"))
