"""Chat notifications: the message model, providers and delivery."""
