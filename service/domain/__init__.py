"""Domain layer: the regulation's rules and the use cases. Never imports Flask."""
