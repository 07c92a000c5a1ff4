"""`.py` scripts with notebook syntax, and files whose bytes must survive outside the changed spans."""
import pytest

from eli5_compat.cli import main
from eli5_compat.migrate import MigrationError, migrate_file, migrate_source

pytestmark = pytest.mark.tooling

KAGGLE = ("!pip install -q eli5==0.11.0\n"
          "%matplotlib inline\n"
          "%%time\n"
          "import eli5\n"
          "files = !ls ../input\n"
          "import tensorflow as tf\n"
          "tf.compat.v1.disable_eager_execution()\n"
          "for f in files:\n"
          "    !echo $f\n"
          "get_ipython().system('pip install eli5')\n")


def test_script_with_magics_is_migrated_like_a_cell():
    result = migrate_source(KAGGLE)
    assert result.text == ("!pip install -q eli5-compat\n"
                           "%matplotlib inline\n"
                           "%%time\n"
                           "import eli5_compat as eli5\n"
                           "files = !ls ../input\n"
                           "import tensorflow as tf\n"
                           "# eli5-compat migrate: removed tf.compat.v1.disable_eager_execution() "
                           "(Keras 3 needs eager execution)\n"
                           "for f in files:\n"
                           "    !echo $f\n"
                           "get_ipython().system('pip install eli5-compat')\n")
    assert [(f.line, f.level) for f in result.findings] == [(1, "INFO"), (4, "INFO"), (7, "INFO"), (10, "INFO")]


def test_script_with_a_real_syntax_error_is_still_refused():
    with pytest.raises(MigrationError, match=r"syntax error at line \d+"):
        migrate_source("!pip install eli5\ndef f(:\n    pass\n")
    with pytest.raises(MigrationError, match=r"syntax error at line \d+"):
        migrate_source("def f(:\n    pass\n")


def _migrated_bytes(tmp_path, data: bytes) -> bytes:
    path = tmp_path / "legacy.py"
    path.write_bytes(data)
    outcome = migrate_file(path)
    assert outcome.error is None and outcome.written is not None
    assert path.read_bytes() == data
    return outcome.written.read_bytes()


def test_crlf_bom_tabs_and_trailing_commas_survive_byte_for_byte(tmp_path):
    before = ("\ufeff# -*- coding: utf-8 -*-\r\n"
              "!pip install eli5\r\n"
              "import eli5\r\n"
              "import tensorflow as tf\r\n"
              "tf.compat.v1.disable_eager_execution()\r\n"
              "def f(a,\r\n\tb,\r\n):\r\n"
              "\treturn dict(x=1, y=[1, 2,],)  \t# tab\r\n").encode("utf-8")
    after = ("\ufeff# -*- coding: utf-8 -*-\r\n"
             "!pip install eli5-compat\r\n"
             "import eli5_compat as eli5\r\n"
             "import tensorflow as tf\r\n"
             "# eli5-compat migrate: removed tf.compat.v1.disable_eager_execution() (Keras 3 needs eager execution)\r\n"
             "def f(a,\r\n\tb,\r\n):\r\n"
             "\treturn dict(x=1, y=[1, 2,],)  \t# tab\r\n").encode("utf-8")
    assert _migrated_bytes(tmp_path, before) == after


def test_plain_crlf_script_keeps_crlf_and_in_place_backup_is_exact(tmp_path):
    before = b"import eli5\r\nx = 1\t# keep\r\n"
    assert _migrated_bytes(tmp_path, before) == b"import eli5_compat as eli5\r\nx = 1\t# keep\r\n"
    path = tmp_path / "inplace.py"
    path.write_bytes(before)
    assert main(["migrate", str(path), "--in-place"]) == 0
    assert (tmp_path / "inplace.py.bak").read_bytes() == before
    assert path.read_bytes() == b"import eli5_compat as eli5\r\nx = 1\t# keep\r\n"


def test_unchanged_script_with_magics_is_not_written(tmp_path):
    path = tmp_path / "plain.py"
    path.write_bytes(b"%matplotlib inline\r\nx = 1\r\n")
    outcome = migrate_file(path)
    assert outcome.error is None and not outcome.changed and outcome.written is None


@pytest.mark.parametrize("source", [
    '!pip install eli5\nprint("%s %s"\n      % (a, b))\n',
    "!pip install eli5\nok = (a\n      != b)\n",
    "!pip install eli5\nok = a \\\n    != b\n",
    '!pip install eli5\ns = """\n!pip install eli5\n%s\n""" % 1\n',
])
def test_continuation_lines_starting_with_percent_or_bang_are_python(source):
    result = migrate_source(source)
    assert result.text == "!pip install eli5-compat" + source[len("!pip install eli5"):]
    assert [(f.line, f.column, f.level) for f in result.findings] == [(1, 1, "INFO")]


def test_crlf_script_with_magics_keeps_crlf_on_inserted_lines():
    before = ("!pip install eli5\r\nimport tensorflow as tf\r\ntf.compat.v1.disable_eager_execution()\r\n"
              "%matplotlib inline\r\nx = 1\r\n")
    assert migrate_source(before).text == (
        "!pip install eli5-compat\r\nimport tensorflow as tf\r\n"
        "# eli5-compat migrate: removed tf.compat.v1.disable_eager_execution() (Keras 3 needs eager execution)\r\n"
        "%matplotlib inline\r\nx = 1\r\n")


def test_keras_rename_is_not_done_when_a_shell_line_of_a_script_uses_the_path():
    source = 'model.save("tmp_model")\n!cp -r tmp_model /backup/\nm = keras.models.load_model("tmp_model")\n'
    result = migrate_source(source)
    assert result.text == source
    assert [(f.line, f.column, f.level) for f in result.findings] == [(1, 1, "WARNING"), (3, 5, "ERROR")]
    assert all("could not change every use" in f.message for f in result.findings)


def test_a_path_inside_another_word_of_a_shell_line_is_still_renamed():
    result = migrate_source('!pip install eli5-compat\nmodel.save("m")\nm = keras.models.load_model("m")\n')
    assert result.text == '!pip install eli5-compat\nmodel.save("m.keras")\nm = keras.models.load_model("m.keras")\n'
    assert [(f.line, f.column, f.level) for f in result.findings] == [(2, 1, "INFO"), (3, 5, "INFO")]
