"""The people directory: departments and people, imported from HR exports."""
