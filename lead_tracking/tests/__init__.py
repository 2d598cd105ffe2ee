# datagen helper: generator and install/uninstall tests
from . import (
    test_datagen,
    test_foundation,
    test_install,
    test_reseller_portal,  # resellers (issue 5)
    test_resellers,  # resellers (issue 5)
)
