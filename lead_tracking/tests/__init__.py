from . import test_foundation
# ---- Resellers (issue 5)
from . import test_resellers
from . import test_reseller_portal
# ---- end Resellers
