"""The fan-out benchmark: `python -m bench` (or `make bench BENCH_ARGS=...`); see bench/cli.py."""
