"""The ``essor`` command: thin wrappers over the domain functions."""
