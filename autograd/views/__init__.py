"""Views of one graph: the backward pass as data, told, drawn and stepped through."""
