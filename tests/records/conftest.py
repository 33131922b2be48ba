# The API's callers and their world, for the tests of API reads.
from tests.api.conftest import _fast_secret_hashing, api_caller, two_units

__all__ = ["_fast_secret_hashing", "api_caller", "two_units"]
