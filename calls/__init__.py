"""What every stage shares: the call schema, the store, configuration and registries."""
