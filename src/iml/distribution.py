"""The name iml is published under, and the install command for one of its extras.

The import name is ``iml``; the distribution is ``iml-automl`` because ``iml`` on the package
index is an unrelated project. Every message that tells a person what to install comes from here.
"""

from __future__ import annotations

import iml

DISTRIBUTION = "iml-automl"
VERSION = iml.__version__


def install_hint(*extras: str) -> str:
    """``pip install 'iml-automl[nn,pretrained]'`` (quoted: shells expand square brackets)."""
    suffix = f"[{','.join(extras)}]" if extras else ""
    return f"pip install '{DISTRIBUTION}{suffix}'"
