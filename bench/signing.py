"""Time of making a PDF ready for signing and of signing it, as ratios to a conversion (one run).

The signature is timed twice on the same prepared PDF: with the service's signer (its RSA key
parsed once) and with pyHanko's own `SimpleSigner`, which parses and checks the key at every
signature.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pyhanko.sign import signers  # noqa: E402

from service.convert.pool import ConverterPool, PoolConfig  # noqa: E402
from service.core.documents import DocumentService, ready_for_signing  # noqa: E402
from service.core.signing import load_signer, sign_field  # noqa: E402
from tests.helpers import PASSPHRASE, make_key  # noqa: E402


def measure(service: DocumentService, sample: str, rounds: int) -> dict[str, float]:
    """Median times of plain and PDF/A-2b conversion, the signing preparation after each, and
    the signature with either signer."""
    payload = json.loads((ROOT / "samples" / f"{sample}.json").read_text(encoding="utf-8"))
    rendered = service.render(payload["doc_type"], payload)
    assert service.converter is not None
    pkcs12, _ = make_key()
    ours = load_signer(pkcs12, PASSPHRASE)
    pyhanko = signers.SimpleSigner.load_pkcs12_data(pkcs12, [], passphrase=PASSPHRASE)
    field = rendered.document.signer_field
    times: dict[str, list[float]] = {
        "plain": [],
        "pdfa": [],
        "sign_plain": [],
        "sign_pdfa": [],
        "ours": [],
        "pyhanko": [],
    }
    for _ in range(rounds):
        # Interleaved so drift on a shared machine falls on every series alike.
        for version, key in ((None, "plain"), (2, "pdfa")):
            start = time.perf_counter()
            converted = service.converter.convert(rendered.docx, pdf_version=version)
            times[key].append(time.perf_counter() - start)
            start = time.perf_counter()
            prepared = ready_for_signing(rendered.document, converted)
            times["sign_" + key].append(time.perf_counter() - start)
        for key, signer in (("ours", ours), ("pyhanko", pyhanko)):
            start = time.perf_counter()
            sign_field(prepared, signer=signer, field=field)
            times[key].append(time.perf_counter() - start)
    return {k: statistics.median(v) * 1000 for k, v in times.items()}


def main() -> int:
    """Print median milliseconds and the ratios for two samples."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vb-sign-") as work:
        pool = ConverterPool(PoolConfig(size=1, base_port=2680, work_dir=Path(work)))
        pool.start(wait=True)
        try:
            service = DocumentService(pool)
            print(
                f"{'sample':34} {'plain':>7} {'PDF/A':>7} {'sign':>7} {'sign/plain':>11} "
                f"{'sign(A)/PDF/A':>14} {'PDF/A/plain':>12} {'signature':>10} {'pyHanko':>8} "
                f"{'ours/pyHanko':>13}"
            )
            for sample in ("seed_000_ke_hoach_y_tich", "seed_001_ke_hoach_thanh_linh"):
                m = measure(service, sample, args.rounds)
                print(
                    f"{sample:34} {m['plain']:7.0f} {m['pdfa']:7.0f} {m['sign_plain']:7.0f} "
                    f"{m['sign_plain'] / m['plain']:11.2f} {m['sign_pdfa'] / m['pdfa']:14.2f} "
                    f"{m['pdfa'] / m['plain']:12.2f} {m['ours']:10.0f} {m['pyhanko']:8.0f} "
                    f"{m['ours'] / m['pyhanko']:13.2f}"
                )
        finally:
            pool.close()
    print(f"median ms over {args.rounds} interleaved rounds, one pool instance")
    return 0


if __name__ == "__main__":
    sys.exit(main())
