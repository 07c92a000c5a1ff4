"""Files migrate writes keep the mode of the file they replace; new files get the umask's default mode."""
import os
import stat

import pytest

from eli5_compat.migrate import migrate_file

pytestmark = pytest.mark.tooling

LEGACY = "import eli5\nimport tensorflow as tf\ntf.compat.v1.disable_eager_execution()\n"


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield
    os.umask(old)


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("original", [0o755, 0o640, 0o604])
def test_in_place_keeps_the_mode_of_the_original(tmp_path, umask_027, original):
    path = tmp_path / "train.py"
    path.write_text(LEGACY)
    path.chmod(original)
    outcome = migrate_file(path, in_place=True)
    assert outcome.written == path and path.read_text().startswith("import eli5_compat as eli5\n")
    assert mode(path) == original
    assert mode(tmp_path / "train.py.bak") == original


def test_a_new_file_gets_the_umask_default_mode(tmp_path, umask_027):
    path = tmp_path / "train.py"
    path.write_text(LEGACY)
    path.chmod(0o755)
    outcome = migrate_file(path)
    assert outcome.written == tmp_path / "train.migrated.py"
    assert mode(outcome.written) == 0o666 & ~0o027  # what open(..., "w") gives a new file
    assert [p.name for p in sorted(tmp_path.iterdir())] == ["train.migrated.py", "train.py"]  # no temporary left
