from . import (
    test_foundation,
    test_reseller_portal,  # resellers (issue 5)
    test_resellers,  # resellers (issue 5)
)
