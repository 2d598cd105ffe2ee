from . import test_foundation

# datagen helper: generator and install/uninstall tests
from . import test_datagen
from . import test_install
