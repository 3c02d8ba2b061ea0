from tests.e2e.server import daphne, daphne_redis, daphne_servers  # noqa: F401  (fixtures)
