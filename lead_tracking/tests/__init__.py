from . import test_foundation, test_lead_intelligence
