"""One powertools ``Router`` per resource; ``handlers.api`` includes them all."""
