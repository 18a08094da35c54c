"""One powertools ``Router`` per group of routes; ``handlers.api`` includes them all."""
