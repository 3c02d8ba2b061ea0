"""The SDKs of clients/ against real daphne: the Python one imported from the source tree."""

import sys
from pathlib import Path

CLIENTS = Path(__file__).resolve().parents[2] / "clients"
sys.path.insert(0, str(CLIENTS / "python"))
