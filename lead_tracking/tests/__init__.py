# datagen helper: generator and install/uninstall tests
from . import test_datagen, test_foundation, test_install

# reports helper
from . import test_reports
