"""The text/code encoder: model loading, pooling, batched embedding."""
