"""The order-path benchmark: `python -m bench orders` (see bench/orders/cli.py)."""
