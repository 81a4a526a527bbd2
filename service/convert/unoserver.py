"""The converter that runs a supervised pool of local unoservers, plus any remote ones."""

from __future__ import annotations

from service.convert.pool import ConverterPool, PoolConfig
from service.settings import Settings


def open_converter(settings: Settings, *, wait: bool = False) -> ConverterPool:
    """Start the pool the settings describe; with wait, block until its instances are ready."""
    pool = ConverterPool(PoolConfig.from_settings(settings))
    try:
        pool.start(wait=wait)
    except BaseException:
        pool.close()
        raise
    return pool
