"""opencustoms: an open digital customs platform.

Rules of origin as executable law, electronic certificates of origin, their
exchange between customs nodes, and import clearance.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("opencustoms")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
