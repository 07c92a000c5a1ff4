"""A tiny stand-in for ``streamlit``, for the corpus execution test only (on PYTHONPATH there).

Running an app script with it plays one session: every widget and message is printed to stdout
as ``[st.<name>] ...``; ``file_uploader`` returns the file named by ``STANDIN_UPLOAD`` (None
when unset), as streamlit's UploadedFile would (a BytesIO with ``name``).
"""
import functools
import io
import os


def _show(name, *parts):
    print("[st.{}] {}".format(name, " ".join(str(p) for p in parts)), flush=True)


def set_page_config(**options):
    _show("set_page_config", options)


def title(text):
    _show("title", text)


def write(*objects):
    _show("write", *objects)


def error(text):
    _show("error", text)


def success(text):
    _show("success", text)


def image(picture, caption=None, **_):
    _show("image", type(picture).__module__ + "." + type(picture).__name__, getattr(picture, "size", ""), caption)


def file_uploader(label, type=None, **_):
    _show("file_uploader", label)
    path = os.environ.get("STANDIN_UPLOAD")
    if not path:
        return None
    with open(path, "rb") as handle:
        upload = io.BytesIO(handle.read())
    upload.name = os.path.basename(path)
    return upload


def cache(function=None, **_):
    """``@st.cache`` and ``@st.cache(...)``: memoises on the arguments."""
    if function is None:
        return cache
    return functools.lru_cache(maxsize=None)(function)
