"""A tiny stand-in for ``flask``, for the corpus execution test only (on PYTHONPATH there).

``Flask.run()`` serves no socket: it sends one request to each POST route, in the order the
routes were declared, with the file named by ``STANDIN_UPLOAD`` as the form field ``image``
(as ``request.files["image"]``), prints ``POST <rule> -> <status> <mimetype> <n> bytes`` and
returns.
"""
import io
import json
import os


class _FileStorage:
    def __init__(self, data, filename):
        self.stream = io.BytesIO(data)
        self.filename = filename

    def read(self):
        return self.stream.read()


class _Request:
    files = {}


request = _Request()


class Response:
    def __init__(self, body, status=200, mimetype="text/html"):
        self.data = body if isinstance(body, bytes) else str(body).encode("utf-8")
        self.status_code = status
        self.mimetype = mimetype


def jsonify(*args, **kwargs):
    return Response(json.dumps(args[0] if args else kwargs), mimetype="application/json")


def send_file(stream, mimetype=None, **_):
    return Response(stream.read(), mimetype=mimetype or "application/octet-stream")


class Flask:
    def __init__(self, import_name, **_):
        self.import_name = import_name
        self.routes = []

    def route(self, rule, methods=("GET",), **_):
        def register(view):
            self.routes.append((rule, tuple(methods), view))
            return view
        return register

    def run(self, host=None, port=None, **_):
        path = os.environ["STANDIN_UPLOAD"]
        with open(path, "rb") as handle:
            data = handle.read()
        for rule, methods, view in self.routes:
            if "POST" not in methods:
                continue
            request.files = {"image": _FileStorage(data, os.path.basename(path))}
            response = view()
            if isinstance(response, tuple):
                response = Response(response[0], status=response[1])
            elif not isinstance(response, Response):
                response = Response(response)
            print("POST {} -> {} {} {} bytes".format(rule, response.status_code, response.mimetype, len(response.data)),
                  flush=True)
