"""Events in: the read model's tables and the projection that writes them (the only writer)."""
