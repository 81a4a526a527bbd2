"""Core document logic, independent of the web layer."""

import warnings

from cryptography.utils import CryptographyDeprecationWarning

# pyHanko imports cryptography's DSA key class to recognise such keys, and cryptography warns
# that DSA is deprecated on that import: a line on every command, though the service makes no
# DSA key. Every pyHanko import is in the core, so the filter goes here, before the first one,
# and hides that one warning from pyHanko's modules only.
warnings.filterwarnings(
    "ignore", message="DSA is deprecated", category=CryptographyDeprecationWarning,
    module=r"pyhanko\.",
)
