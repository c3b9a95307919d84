"""Node and relationship declarations, one module per area. Every module here is imported by
:func:`cloudmap.graph.model.node_kinds`, so a new module is picked up without registration."""
