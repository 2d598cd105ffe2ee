from . import test_foundation
# --- assignment engine (issue 4) ---
from . import test_assignment
from . import test_assignment_reassign
# --- end assignment engine ---
