"""Every Python snippet in the README runs, in order, in one namespace."""
import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.eager_only, pytest.mark.slow]

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_snippets_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 6
    namespace = {}
    exec("import numpy as np\nimport eli5_compat as eli5\nfrom tensorflow import keras\n", namespace)
    for number, block in enumerate(blocks, start=1):
        try:
            exec(compile(block, "README.md python block {}".format(number), "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the message names the block
            raise AssertionError("README python block {} failed: {!r}\n{}".format(number, exc, block)) from exc
