"""The framework's own ceiling: bare Flask answering a fixed byte string, served by the same gunicorn.

`GET /bytes/<size>` returns `size` bytes, so each portal response is compared with a baseline
response of exactly its own size (the same bytes to send, parse and count). POST is answered alike: the mixed
scenario sends the baseline its writes with the same method, headers and body (the body is not read: bare
Flask does not look at what it does not need).
"""
from flask import Flask, Response

app = Flask(__name__)
_bodies: dict[int, bytes] = {}


@app.route("/bytes/<int:size>", methods=["GET", "POST"])
def fixed(size: int):
    body = _bodies.get(size)
    if body is None:
        body = _bodies[size] = (b"<p>" + b"x" * max(0, size - 8) + b"</p>\n")[:size]
    return Response(body, mimetype="text/html")
