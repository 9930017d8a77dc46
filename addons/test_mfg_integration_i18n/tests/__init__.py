from . import test_translation_files
from . import test_german_planner
from . import test_german_tour
