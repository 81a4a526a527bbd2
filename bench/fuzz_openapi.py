"""Fuzz the service from its own OpenAPI document with schemathesis, every check, both modes.

Run from the project root. Against the app in this process (a fake converter, no LibreOffice):

    .venv/bin/python bench/fuzz_openapi.py --max-examples 120

against a service it starts on real LibreOffice (`--port`, pool ports from `--pool-base-port`):

    .venv/bin/python bench/fuzz_openapi.py --serve --max-examples 120

or against one already running (`--url http://127.0.0.1:8000 --token …`). It prints the
requests sent, the statuses by code and every failed check with a request that reproduces it,
and exits 1 when any check failed. The tests run the same `fuzz()` on a small budget.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.config._checks import (
    NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES as NEGATIVE_DEFAULT,
)
from schemathesis.config._checks import (
    POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES as POSITIVE_DEFAULT,
)
from schemathesis.engine import events, from_schema

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Documented statuses that say nothing is wrong with the request: busy (503) and, with a
# real converter, a conversion that failed (502).
SERVER_SIDE = ["503", "502"]


@dataclass(frozen=True)
class Known:
    """A kind of failed check the service's document cannot rule out, with the reason why."""

    check: str
    operation: str  # a regular expression over "METHOD /path"
    status: int | None
    error_keys: frozenset[str] | None  # the 422's `errors` must use only these keys
    reason: str
    detail: str = ""  # for negative data: a regular expression over schemathesis' account
    paths: str = ""  # a regular expression each of the 422's `errors` keys must match whole

    def explains(self, found: dict[str, Any]) -> bool:
        """Whether this explains a failure found by the fuzzer."""
        if found.get("check") != self.check or not re.search(self.operation, found["operation"]):
            return False
        if self.status is not None and found.get("status") != self.status:
            return False
        if self.check == "negative_data_rejection":
            return bool(re.search(self.detail, found.get("detail", "")))
        if self.paths:
            keys = found.get("error_keys", ())
            return bool(keys) and all(re.fullmatch(self.paths, key) for key in keys)
        if self.error_keys is None:
            return True
        fields = {key.split(".")[0] for key in found.get("error_keys", ())}  # signer.title → signer
        return bool(fields) and fields <= self.error_keys


KNOWN = (
    Known("positive_data_acceptance", r"^POST /api/verify$", 400, None,
          "a valid PDF is not something a JSON Schema of bytes can say"),
    Known("positive_data_acceptance", r"^POST /api/register/\{entry_id\}/scans$", 422, None,
          "a scan is a PDF, JPEG or PNG by its first bytes: a JSON Schema of bytes cannot say"),
    Known("positive_data_acceptance", r"^POST /api/drafts$", 422,
          frozenset({"unit", "document"}),  # document.unit: the key names no unit
          "a draft belongs to an existing unit the caller sees (a key for every unit names it)"),
    Known("negative_data_rejection", r"^POST /api/documents/", 200, None,
          "an empty query value reads as not given: format= is the default PDF",
          r"parameter `format` in query - violates `enum`"),
    Known("positive_data_acceptance", r"^POST /api/(documents|register/issue|drafts)", 422,
          frozenset({"authority", "document"}),
          "an authority typed against the signature is refused: no JSON Schema compares the two"),
    Known("positive_data_acceptance", r"^POST /api/(documents|register/issue|drafts)", 422,
          None, "a table's rows have as many cells as it has columns, and its totals name "
          "figure columns: no JSON Schema compares the two", paths=r".*\.(cells|totals)"),
    Known("positive_data_acceptance", r"^POST /api/(documents|register/issue|drafts)", 422,
          None, "a paragraph may not repeat a line its form prints itself (Tới dự:, Thời gian: …)",
          paths=r"(document\.)?(intro|closing)\.\d+|(document\.)?body\.[\d.a-z]*text"),
    Known("positive_data_acceptance", r"^POST /api/jobs$", 422, None,
          "a bulk job's base and rows are valid only together (columns are the base's fields)"),
    Known("positive_data_acceptance", r"^POST /api/(documents|register/issue)/", 422,
          frozenset({"signing"}),
          "no signature block found in the converted PDF (SignatureSpaceNotFound)"),
    Known("positive_data_acceptance", r"^POST /api/register/issue/", 422,
          frozenset({"unit", "sign"}),
          "the unit must exist, and hold a signing key to sign"),
    Known("positive_data_acceptance", r"^POST /api/register/\{entry_id\}/copies$", 422,
          frozenset({"kind", "parts", "signer"}),
          "a copy's kind and parts depend on the entry (sao lục only from a sao y, parts it has),"
          " and a unit without a profile needs a signer"),
    *(
        Known("negative_data_rejection", r"^POST /api/(documents|register/issue)/", status, None,
              "flags read true, 1, yes, on as true and any other value as false",
              r"parameters? .*`(signing|sign)`|in body - (signing|sign): ")
        for status in (200, 201)
    ),
    Known("negative_data_rejection", r"^POST /api/documents/", None, None,
          "the query's format wins over the body's, and a body format that is not text is not read",
          r"in body - format: "),
    *(
        Known("negative_data_rejection", r"^POST /api/(documents|register/issue|jobs)", status,
              None, "text lengths count once the text is cleaned (spaces trimmed and folded)",
              r"violates `maxLength`")
        for status in (200, 201, 202)
    ),
)


def lenient_booleans(document: dict[str, Any]) -> Known:
    """Boolean fields load with marshmallow's Boolean, which also takes "true", "yes", 1, …"""
    names = sorted({
        name
        for schema in document.get("components", {}).get("schemas", {}).values()
        for name, prop in schema.get("properties", {}).items()
        if prop.get("type") == "boolean"
    })
    return Known("negative_data_rejection", r"^POST /api/", None, None,
                 'booleans also take "true", "yes", 1 … (marshmallow.fields.Boolean)',
                 rf"in body - .*\b({'|'.join(names)}): Incorrect type")


def error_keys(response: str) -> list[str]:
    """The field paths of an error answer, or none."""
    try:
        body = json.loads(response)
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    return list(errors) if isinstance(errors, dict) else []


@dataclass
class Figures:
    """What one fuzzing run sent and found."""

    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    by_operation: Counter[str] = field(default_factory=Counter)
    failures: list[dict[str, Any]] = field(default_factory=list)
    known: Counter[str] = field(default_factory=Counter)

    def server_errors(self, allowed: tuple[int, ...] = (503,)) -> dict[int, int]:
        """5xx answers other than the allowed ones, by status."""
        return {s: n for s, n in self.statuses.items() if s >= 500 and s not in allowed}

    def summary(self) -> dict[str, Any]:
        """The figures as JSON."""
        return {
            "requests": self.requests,
            "statuses": dict(sorted(self.statuses.items())),
            "operations": len(self.by_operation),
            "failures": self.failures,
            "known": dict(self.known),
        }


PHASES = ("examples", "coverage", "fuzzing")  # stateful needs links, which the document has not


def config(max_examples: int, seed: int | None, headers: dict[str, str], workers: int = 1,
           phases: tuple[str, ...] = PHASES) -> schemathesis.Config:
    """Every check, positive and negative data, in these phases."""
    data: dict[str, Any] = {
        "headers": headers,
        "workers": workers,
        "continue-on-failure": True,
        "request-timeout": 120,  # a valid document of 1,000 appendices takes ~10 s to render
        "generation": {"mode": "all", "max-examples": max_examples},
        "checks": {
            "not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", *SERVER_SIDE]},
            # 413: the whole request is over the service's size limit, which no schema states.
            "negative_data_rejection": {"expected-statuses": [*NEGATIVE_DEFAULT, "413"]},
            "positive_data_acceptance": {"expected-statuses": [*POSITIVE_DEFAULT, "413"]},
        },
        "phases": {name: {"enabled": name in phases} for name in (*PHASES, "stateful")},
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
    }
    if seed is not None:
        data["seed"] = seed
    return schemathesis.Config.from_dict(data)


# Bytes as they are: /api/verify takes a PDF, which schemathesis has no serializer for.
schemathesis.serializer.alias("application/pdf", "application/octet-stream")


def fuzz(schema: Any, only: str | None = None) -> Figures:
    """Run every phase of schemathesis over the loaded schema; what it sent and found."""
    if only:
        schema = schema.include(path_regex=only)
    figures = Figures()
    known = (*KNOWN, lenient_booleans(schema.raw_schema))
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            record(figures, event, known)
        elif isinstance(event, events.NonFatalError):
            figures.failures.append({"operation": event.label, "check": "error",
                                     "phase": str(event.phase), "detail": event.info.format()})
        elif isinstance(event, events.FatalError):
            figures.failures.append({"check": "fatal", "detail": repr(event.exception)})
    return figures


def record(figures: Figures, event: events.ScenarioFinished, known: tuple[Known, ...]) -> None:
    """Count one scenario's responses and keep its failed checks with their requests."""
    recorder = event.recorder
    for interaction in recorder.interactions.values():
        if interaction.response is None:
            continue
        figures.requests += 1
        figures.statuses[interaction.response.status_code] += 1
        figures.by_operation[recorder.label] += 1
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.status != schemathesis.engine.Status.FAILURE:
                continue
            found = failure(recorder, case_id, check)
            reason = next((k.reason for k in known if k.explains(found)), None)
            if reason is None:
                figures.failures.append(found)
            else:
                figures.known[f"{found['check']}: {reason}"] += 1


def failure(recorder: Any, case_id: str, check: Any) -> dict[str, Any]:
    """One failed check with the request and response that show it."""
    interaction = recorder.interactions.get(case_id)
    found: dict[str, Any] = {"operation": recorder.label, "check": check.name}
    if check.failure_info is not None:
        found["message"] = str(check.failure_info.failure.title)
        found["detail"] = str(check.failure_info.failure.message)[:600]
    if interaction is not None:
        request = interaction.request
        found["request"] = f"{request.method} {request.uri}"
        body = request.body or b""
        found["body"] = (body if isinstance(body, bytes) else str(body).encode())[:600].decode(
            "utf-8", "replace"
        )
        if interaction.response is not None:
            content = interaction.response.content.decode("utf-8", "replace")
            found["status"] = interaction.response.status_code
            found["response"] = content[:300]
            found["error_keys"] = error_keys(content)
    return found


def from_url(url: str, cfg: schemathesis.Config) -> Any:
    """The schema a running service serves, its requests sent over HTTP."""
    return schemathesis.openapi.from_url(f"{url.rstrip('/')}/openapi.json", config=cfg)


@contextmanager
def local_service() -> Iterator[tuple[str, str]]:
    """The app on a fresh SQLite database and a fake converter, served over HTTP by a thread.

    Over a socket rather than through schemathesis' WSGI transport, whose probes (the
    ignored_auth check) pass it arguments Werkzeug's test client refuses.
    """
    from werkzeug.serving import make_server

    from tests.conftest import CALLER, app_builder

    with tempfile.TemporaryDirectory(prefix="vb-fuzz-") as folder, app_builder(
        Path(folder)
    ) as build:
        app = build(rate_limit=0)  # 429 is documented, but would answer most of a fast run
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}", str(app.config[CALLER])
        finally:
            server.shutdown()
            thread.join(10)


def report(figures: Figures) -> None:
    """Print the figures and the failures, the failures grouped by check and operation."""
    print(f"requests: {figures.requests}")
    print("statuses: " + ", ".join(f"{s}: {n}" for s, n in sorted(figures.statuses.items())))
    print(f"operations: {len(figures.by_operation)}")
    groups = Counter((f.get("check", "error"), f.get("operation", "")) for f in figures.failures)
    print("known, not failures:")
    for reason, count in sorted(figures.known.items()):
        print(f"  {count:4} {reason}")
    print(f"failures: {len(figures.failures)}")
    for (check, operation), count in sorted(groups.items()):
        print(f"  {count:4} {check} {operation}")
    for found in figures.failures[:40]:
        print(json.dumps(found, ensure_ascii=False)[:1500])


def main(argv: list[str] | None = None) -> int:
    """Fuzz the in-process app, a service this script starts, or one at --url."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=120)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--url", help="a running service (with --token)")
    parser.add_argument("--token", help="an API key with every scope")
    parser.add_argument("--serve", action="store_true", help="start a service on LibreOffice")
    parser.add_argument("--port", type=int, default=3290)
    parser.add_argument("--pool-base-port", type=int, default=3200)
    parser.add_argument("--only", help="fuzz only the paths this regular expression matches")
    parser.add_argument("--phases", default=",".join(PHASES), help="of: " + ", ".join(PHASES))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # the fuzzer's figures say what the log would
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    figures = run(args)
    report(figures)
    if args.out:
        args.out.write_text(json.dumps(figures.summary(), ensure_ascii=False, indent=1) + "\n")
    return 1 if figures.failures else 0


def from_args(args: argparse.Namespace, headers: dict[str, str]) -> schemathesis.Config:
    """The configuration the command line asks for."""
    phases = tuple(p.strip() for p in args.phases.split(",") if p.strip())
    return config(args.max_examples, args.seed, headers, args.workers, phases)


def run(args: argparse.Namespace) -> Figures:
    """The run the arguments ask for."""
    if args.url:
        cfg = from_args(args, {"Authorization": f"Bearer {args.token}"})
        return fuzz(from_url(args.url, cfg), args.only)
    if args.serve:
        from tests.integration import calls
        from tests.integration.servers import start_service

        with tempfile.TemporaryDirectory(prefix="vb-fuzz-") as folder:
            service = start_service(
                Path(folder), args.port, pool_size=1, pool_base_port=args.pool_base_port,
                rate_limit=0,
            )
            try:
                cfg = from_args(args, calls.auth(service.url))
                figures = fuzz(from_url(service.url, cfg), args.only)
                if figures.failures:  # the service's side of them
                    figures.failures.append({"check": "log", "detail": service.log_tail(20000)})
                return figures
            finally:
                service.stop()
    with local_service() as (url, token):
        cfg = from_args(args, {"Authorization": f"Bearer {token}"})
        return fuzz(from_url(url, cfg), args.only)


if __name__ == "__main__":
    sys.exit(main())
