"""The framework's own ceiling: bare Flask answering a fixed byte string, served by the same gunicorn.

`GET /bytes/<size>` returns `size` bytes, so each portal response is compared with a baseline
response of exactly its own size (the same bytes to send, parse and count).
"""
from flask import Flask, Response

app = Flask(__name__)
_bodies: dict[int, bytes] = {}


@app.get("/bytes/<int:size>")
def fixed(size: int):
    body = _bodies.get(size)
    if body is None:
        body = _bodies[size] = (b"<p>" + b"x" * max(0, size - 8) + b"</p>\n")[:size]
    return Response(body, mimetype="text/html")
