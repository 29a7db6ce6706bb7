"""The inline gateway: an ASGI reverse proxy that puts detection and policy in the request path."""
