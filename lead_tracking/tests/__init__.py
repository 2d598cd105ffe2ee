from . import test_foundation
# lead intelligence
from . import test_lead_intelligence
