"""Pages of consultation fairs, one module per concern."""
