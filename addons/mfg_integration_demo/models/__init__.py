from . import demo_plant
from . import mes_line_2
