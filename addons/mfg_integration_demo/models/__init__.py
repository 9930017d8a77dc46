from . import demo_plant
