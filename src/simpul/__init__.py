"""Simpul: a region's public services behind one door."""

import warnings

from cryptography.utils import CryptographyDeprecationWarning

# cryptography 51 deprecates DSA; pyHanko still imports the DSA key types to recognise them
# (Simpul never makes or accepts DSA keys). Only that warning, only from pyHanko's modules, so
# that every `simpul` command and server does not print it; pyproject.toml says the same to
# pytest, where warnings are errors.
warnings.filterwarnings(
    "ignore",
    message="DSA is deprecated",
    category=CryptographyDeprecationWarning,
    module=r"pyhanko\.",
)
