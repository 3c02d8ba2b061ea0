import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The default hasher spends a quarter of a second per password; these tests check logic, not cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
