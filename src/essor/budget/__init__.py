"""Budget: cost lines by the budget that absorbs them, and the projection to full headcount."""
