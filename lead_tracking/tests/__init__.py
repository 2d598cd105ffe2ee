from . import test_assignment
from . import test_assignment_reassign
from . import test_datagen
from . import test_foundation
from . import test_install
from . import test_lead_intelligence
from . import test_reseller_portal
from . import test_resellers
