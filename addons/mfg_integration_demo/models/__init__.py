from . import demo_plant
from . import mes_line_2
from . import iiot_platform
from . import plm_01
