# The smallest WSGI application of gunicorn's documentation.
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
