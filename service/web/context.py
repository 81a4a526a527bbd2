"""The app's services as every view reaches them."""

from __future__ import annotations

from flask import current_app

from service.usecases.services import Services

EXTENSION = "vb_services"


def services() -> Services:
    """The services the app was built with (see service.composition)."""
    services: Services = current_app.extensions[EXTENSION]
    return services
