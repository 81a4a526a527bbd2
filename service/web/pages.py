"""Web pages in Vietnamese: the forms generated from forms/, unit profiles, preview."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def init_app(app: Flask, api: Api) -> None:
    """Register this feature's routes on the app."""
