"""One router per resource; each only parses, calls a service function and responds."""
