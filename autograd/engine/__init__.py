"""The engine: Value, the op table, the graph's walks and the gradients computed on it."""
