from . import consumer
