"""Two costs the unit suite pays ~170 times over, paid once: URL builders and heap scans."""

from __future__ import annotations

import gc
from typing import Any

from werkzeug.routing.rules import Rule


def share_url_builders() -> None:
    """Compile each URL rule's builder once per process rather than once per app."""
    # Werkzeug compiles two Python functions per rule for every app (a third of each app's
    # build). A builder is a pure function of the rule's parts when the rule has no defaults,
    # so apps with the same rules can share it; rules with defaults compile as before.
    compile_builder = Rule._compile_builder
    compiled: dict[tuple[Any, ...], Any] = {}

    def builder(self: Rule, append_unknown: bool = True) -> Any:
        if self.defaults:
            return compile_builder(self, append_unknown)
        key = (self.rule, tuple(self._trace), append_unknown)
        if key not in compiled:
            compiled[key] = compile_builder(self, append_unknown)
        return compiled[key]

    Rule._compile_builder = builder  # type: ignore[method-assign]


def freeze_heap() -> None:
    """Keep the objects made while collecting out of every later garbage collection."""
    # Collection leaves ~1 M long-lived objects (the catalog, schemas, parsed templates) that
    # each full collection would walk again: a fifth of the suite's time.
    gc.collect()
    gc.freeze()
