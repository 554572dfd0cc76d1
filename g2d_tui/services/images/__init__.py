"""Image generation backends."""
