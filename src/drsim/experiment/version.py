"""The drsim version that wrote a result (recorded in every manifest and sweep definition)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    DRSIM_VERSION = version("drsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    DRSIM_VERSION = "0.0.0"
