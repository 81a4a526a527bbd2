"""The Flask application: JSON API, health and API docs."""

from service.web.app import create_app

__all__ = ["create_app"]
