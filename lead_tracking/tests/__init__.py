from . import (
    test_assignment,  # assignment engine (issue 4)
    test_assignment_reassign,  # assignment engine (issue 4)
    test_foundation,
)
