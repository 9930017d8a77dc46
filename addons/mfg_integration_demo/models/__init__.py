from . import demo_plant
from . import mes_line_2
from . import plm_01
