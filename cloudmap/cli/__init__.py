"""The `cloudmap` command. Each module here adds its verbs through `register(app)`; main.py finds them."""
