"""Every spelling of turning eager execution off: removed with a comment, or reported as an ERROR."""
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from eli5_compat.migrate import migrate_cell, migrate_notebook, migrate_source

pytestmark = pytest.mark.tooling

REMOVED = "# eli5-compat migrate: removed {} (Keras 3 needs eager execution)"


def found(findings):
    return [(f.line, f.column, f.level) for f in findings]


def test_private_module_import_and_call_both_go():
    source = ("from tensorflow.python.framework.ops import disable_eager_execution\n"
              "disable_eager_execution()\nx = 1\n")
    new, findings = migrate_cell(source)
    assert new == ("# eli5-compat migrate: removed the import of disable_eager_execution (unused now)\n"
                   + REMOVED.format("disable_eager_execution()") + "\nx = 1\n")
    assert found(findings) == [(1, 1, "INFO"), (2, 1, "INFO")]
    assert "tensorflow.python.framework.ops" in findings[0].message


def test_aliased_private_import_keeps_the_other_names_and_the_trailing_comment():
    source = ("from tensorflow.python.framework.ops import disable_eager_execution as dee, convert_to_tensor\n"
              "dee()  # graph mode for eli5\n")
    assert migrate_cell(source)[0] == (
        "from tensorflow.python.framework.ops import convert_to_tensor  "
        "# eli5-compat migrate: removed the import of disable_eager_execution as dee (unused now)\n"
        + REMOVED.format("dee()") + "  # graph mode for eli5\n")


@pytest.mark.parametrize("source, call", [
    ("from tensorflow.python.framework import ops\nops.disable_eager_execution()\n", "ops.disable_eager_execution()"),
    ("import tensorflow.python.framework.ops as tfops\ntfops.disable_eager_execution()\n",
     "tfops.disable_eager_execution()"),
    ("import tensorflow\ntensorflow.python.framework.ops.disable_eager_execution()\n",
     "tensorflow.python.framework.ops.disable_eager_execution()"),
    ("from tensorflow.python.compat import v2_compat\nv2_compat.disable_v2_behavior()\n",
     "v2_compat.disable_v2_behavior()"),
    ("import tensorflow as tensor\ntensor.compat.v1.disable_v2_behavior()\n", "tensor.compat.v1.disable_v2_behavior()"),
    ("import tensorflow as tf\ntf.disable_eager_execution()\n", "tf.disable_eager_execution()"),
    # review RF1: tf.compat.v1 reached through a compat module
    ("import tensorflow.compat.v1 as tf\ntf.compat.v1.disable_v2_behavior()\n", "tf.compat.v1.disable_v2_behavior()"),
    ("import tensorflow.compat.v2 as tf\ntf.compat.v1.disable_eager_execution()\n",
     "tf.compat.v1.disable_eager_execution()"),
    ("import tensorflow.compat.v2 as tf\ntf.compat.v1.disable_v2_behavior()\n", "tf.compat.v1.disable_v2_behavior()"),
    ("import tensorflow as tf\ntf.compat.v2.compat.v1.disable_v2_behavior()\n",
     "tf.compat.v2.compat.v1.disable_v2_behavior()"),
])
def test_module_spellings_keep_the_module_import(source, call):
    first = source.splitlines()[0]
    new, findings = migrate_cell(source)
    assert new == first + "\n" + REMOVED.format(call) + "\n"
    assert found(findings) == [(2, 1, "INFO")]


def test_semicolon_joined_keeps_the_import_and_the_line_numbers():
    new, findings = migrate_cell("import tensorflow as tf; tf.compat.v1.disable_eager_execution()\nimport numpy as np\n")
    assert new == ("import tensorflow as tf  " + REMOVED.format("tf.compat.v1.disable_eager_execution()")
                   + "\nimport numpy as np\n")
    assert found(findings) == [(1, 26, "INFO")]
    assert migrate_cell("import tensorflow as tf; tf.compat.v1.disable_eager_execution(); x = 1  # setup\n")[0] == (
        "import tensorflow as tf; x = 1  " + REMOVED.format("tf.compat.v1.disable_eager_execution()") + "  # setup\n")
    assert migrate_cell("import tensorflow.compat.v1 as v1; v1.disable_v2_behavior()\n")[0] == (
        "import tensorflow.compat.v1 as v1  " + REMOVED.format("v1.disable_v2_behavior()") + "\n")


def test_nested_blocks_get_pass_when_emptied():
    source = ("import tensorflow.compat.v1 as v1\n"
              "def f():\n    v1.disable_v2_behavior()\n"
              "class A:\n    tf.compat.v1.disable_eager_execution()\n"
              "try:\n    tf.compat.v1.disable_eager_execution()\nexcept Exception:\n    pass\n"
              "with open('x') as fh:\n    tf.compat.v1.disable_eager_execution()\n    y = 2\n"
              "if graph: tf.compat.v1.disable_eager_execution()\n"
              "if graph: tf.compat.v1.disable_eager_execution(); z = 1  # why\n")
    new, findings = migrate_cell(source)
    call = REMOVED.format("tf.compat.v1.disable_eager_execution()")
    assert new == ("import tensorflow.compat.v1 as v1\n"
                   "def f():\n    pass  " + REMOVED.format("v1.disable_v2_behavior()") + "\n"
                   "class A:\n    pass  " + call + "\n"
                   "try:\n    pass  " + call + "\nexcept Exception:\n    pass\n"
                   "with open('x') as fh:\n    " + call + "\n    y = 2\n"
                   "if graph: pass  " + call + "\n"
                   "if graph: z = 1  " + call + "  # why\n")
    assert found(findings) == [(3, 5, "INFO"), (5, 5, "INFO"), (7, 5, "INFO"), (11, 5, "INFO"), (13, 11, "INFO"),
                               (14, 11, "INFO")]
    assert len(new.splitlines()) == len(source.splitlines())
    compile(new, "<migrated>", "exec")


def test_uses_that_cannot_be_removed_are_errors_and_the_import_stays():
    source = ("from tensorflow.python.framework.ops import disable_eager_execution\n"
              "fn = disable_eager_execution\ndisable_eager_execution()\n"
              "ok = tf.compat.v1.disable_eager_execution()\n")
    new, findings = migrate_cell(source)
    assert new == ("from tensorflow.python.framework.ops import disable_eager_execution\nfn = disable_eager_execution\n"
                   + REMOVED.format("disable_eager_execution()") + "\nok = tf.compat.v1.disable_eager_execution()\n")
    assert found(findings) == [(2, 6, "ERROR"), (3, 1, "INFO"), (4, 6, "ERROR")]
    assert "delete this use by hand" in findings[0].message


@pytest.mark.parametrize("source, column", [
    ("from tensorflow.python.eager import context\nwith context.graph_mode():\n    pass\n", 6),
    ("import tensorflow as tf\nwith tf.Graph().as_default():\n    pass\n", 6),
    ("import tensorflow.compat.v1 as v1\ng = v1.Graph()\nwith v1.Graph().as_default() as g:\n    pass\n", 6),
])
def test_graph_mode_blocks_are_errors(source, column):
    new, findings = migrate_cell(source)
    last = len(source.splitlines()) - 1
    assert new == source and found(findings) == [(last, column, "ERROR")]
    assert "dedent its block" in findings[0].message


def test_resource_variables_removed_only_with_eager_off():
    with_eager_off = ("import tensorflow as tf\ntf.compat.v1.disable_resource_variables()\n"
                      "tf.compat.v1.disable_eager_execution()\n")
    new, findings = migrate_cell(with_eager_off)
    assert new == ("import tensorflow as tf\n# eli5-compat migrate: removed tf.compat.v1.disable_resource_variables() "
                   "(it only mattered in graph mode)\n" + REMOVED.format("tf.compat.v1.disable_eager_execution()") + "\n")
    assert found(findings) == [(2, 1, "INFO"), (3, 1, "INFO")]
    alone = "import tensorflow as tf\ntf.compat.v1.disable_resource_variables()\n"
    new, findings = migrate_cell(alone)
    assert new == alone and found(findings) == [(2, 1, "WARNING")]


def test_other_libraries_switches_stay():
    source = "import mylib as tf\ntf.compat.v1.disable_eager_execution()\nfrom mylib import disable_eager_execution\n"
    assert migrate_cell(source) == (source, [])


def test_notebook_cells_share_their_imports():
    nb = new_notebook(cells=[new_code_cell("import tensorflow.compat.v1 as tf1\n"
                                           "from tensorflow.python.framework.ops import disable_eager_execution"),
                             new_code_cell("tf1.disable_v2_behavior()\ndisable_eager_execution()")])
    result = migrate_notebook(nb)
    assert result.notebook.cells[0].source == (
        "import tensorflow.compat.v1 as tf1\n"
        "# eli5-compat migrate: removed the import of disable_eager_execution (unused now)")
    assert result.notebook.cells[1].source == (REMOVED.format("tf1.disable_v2_behavior()") + "\n"
                                               + REMOVED.format("disable_eager_execution()"))
    assert [(f.cell, f.line, f.level) for f in result.findings] == [(1, 2, "INFO"), (2, 1, "INFO"), (2, 2, "INFO")]


def test_script_every_disabling_statement_is_removed_or_reported():
    source = ("import tensorflow as tf; tf.compat.v1.disable_eager_execution()\n"
              "from tensorflow.python.framework.ops import disable_eager_execution as off\n"
              "def handler():\n    try:\n        off()\n    except Exception:\n        tf.compat.v1.disable_v2_behavior()\n")
    result = migrate_source(source)
    code = [line.split("#")[0] for line in result.text.splitlines()]
    assert not [line for line in code if "disable" in line or "off" in line], code
    compile(result.text, "<migrated>", "exec")


def test_notebook_decides_on_imports_and_resource_variables_with_every_cell():
    nb = new_notebook(cells=[
        new_code_cell("import tensorflow as tf\n"
                      "from tensorflow.python.framework.ops import disable_eager_execution\n"
                      "tf.compat.v1.disable_resource_variables()"),
        new_code_cell("disable_eager_execution()"),
        new_code_cell("callbacks = [disable_eager_execution]")])
    result = migrate_notebook(nb)
    cells = [c.source for c in result.notebook.cells]
    assert cells[0] == ("import tensorflow as tf\n"
                        "from tensorflow.python.framework.ops import disable_eager_execution\n"
                        "# eli5-compat migrate: removed tf.compat.v1.disable_resource_variables() "
                        "(it only mattered in graph mode)")
    assert cells[1] == REMOVED.format("disable_eager_execution()")
    assert cells[2] == "callbacks = [disable_eager_execution]"
    assert [(f.cell, f.line, f.level) for f in result.findings] == [(1, 3, "INFO"), (2, 1, "INFO"), (3, 1, "ERROR")]


def test_default_graph_blocks_are_errors_and_the_graph_is_reported():
    """D4 (issue 9): `graph = tf.compat.v1.get_default_graph()` then `with graph.as_default():` runs graph mode."""
    source = ("import tensorflow as tf\ngraph = tf.compat.v1.get_default_graph()\n\n"
              "def predict(x):\n    with graph.as_default():\n        return model.predict(x)\n"
              "with tf.compat.v1.get_default_graph().as_default():\n    pass\n"
              "other = make()\nwith other.as_default():\n    pass\n")
    new, findings = migrate_cell(source)
    assert new == source
    assert [(f.line, f.column, f.level) for f in findings] == [
        (2, 9, "WARNING"), (5, 10, "ERROR"), (7, 6, "ERROR"), (7, 6, "WARNING")]
    assert findings[0].message == (
        "`tf.compat.v1.get_default_graph()` is graph-mode code: with eager execution on, a `with ....as_default():` "
        "block on this graph turns it off again. Remove this line and every `with ....as_default():` line on its "
        "graph (dedent their blocks).")
    assert findings[1].message == (
        "`graph.as_default()` runs its block in graph mode, where Keras 3 models cannot be built, trained or "
        "explained: remove the `with` line and dedent its block (keep it only for code without Keras or eli5).")


def test_call_before_the_import_goes_with_the_import():
    """Review RF1.1: a call visited before its import was kept while the import was removed (NameError)."""
    source = ("def setup():\n    disable_eager_execution()\n\n"
              "from tensorflow.python.framework.ops import disable_eager_execution\nsetup()\n")
    new, findings = migrate_cell(source)
    assert new == ("def setup():\n    pass  " + REMOVED.format("disable_eager_execution()") + "\n\n"
                   "# eli5-compat migrate: removed the import of disable_eager_execution (unused now)\nsetup()\n")
    assert found(findings) == [(2, 5, "INFO"), (4, 1, "INFO")]
    nb = new_notebook(cells=[new_code_cell("def f():\n    disable_eager_execution()"),
                             new_code_cell("from tensorflow.compat.v1 import disable_eager_execution\nf()")])
    result = migrate_notebook(nb)
    assert [c.source for c in result.notebook.cells] == [
        "def f():\n    pass  " + REMOVED.format("disable_eager_execution()"),
        "# eli5-compat migrate: removed the import of disable_eager_execution (unused now)\nf()"]
    assert [(f.cell, f.line, f.level) for f in result.findings] == [(1, 2, "INFO"), (2, 1, "INFO")]


def test_a_name_bound_otherwise_too_keeps_its_import():
    """Guard for RF1.1's fix: a name also defined in the code is not taken for the imported switch."""
    source = ("def disable_eager_execution():\n    pass\n"
              "def setup():\n    disable_eager_execution()\n\n"
              "from tensorflow.python.framework.ops import disable_eager_execution\nsetup()\n")
    new, findings = migrate_cell(source)
    assert new == source and findings == []


def test_doubled_compat_imports_and_resource_variables():
    source = ("import tensorflow.compat.v2 as tf\n"
              "from tensorflow.compat.v1.compat.v1 import disable_v2_behavior\n"
              "tf.compat.v1.disable_resource_variables()\ndisable_v2_behavior()\n")
    new, findings = migrate_cell(source)
    assert new == ("import tensorflow.compat.v2 as tf\n"
                   "# eli5-compat migrate: removed the import of disable_v2_behavior (unused now)\n"
                   "# eli5-compat migrate: removed tf.compat.v1.disable_resource_variables() "
                   "(it only mattered in graph mode)\n" + REMOVED.format("disable_v2_behavior()") + "\n")
    assert found(findings) == [(2, 1, "INFO"), (3, 1, "INFO"), (4, 1, "INFO")]


def test_star_imported_switches_are_removed_or_reported():
    new, findings = migrate_cell("from tensorflow.compat.v1 import *\ndisable_eager_execution()\n"
                                 "hook = disable_v2_behavior\n")
    assert new == ("from tensorflow.compat.v1 import *\n" + REMOVED.format("disable_eager_execution()")
                   + "\nhook = disable_v2_behavior\n")
    assert found(findings) == [(2, 1, "INFO"), (3, 8, "ERROR")]


def test_unknown_bare_switch_calls_are_warnings():
    source = "from mylib import *\ndisable_eager_execution()\nif x:\n    disable_v2_behavior()\n"
    new, findings = migrate_cell(source)
    assert new == source
    assert found(findings) == [(2, 1, "WARNING"), (4, 5, "WARNING")]
    assert findings[0].message == (
        "`disable_eager_execution()` kept: migrate cannot tell where `disable_eager_execution` comes from. If it is "
        "TensorFlow's (e.g. from a star import), delete this call (Keras 3 needs eager execution).")
    own = "def disable_eager_execution():\n    pass\ndisable_eager_execution()\n"
    assert migrate_cell(own) == (own, [])
