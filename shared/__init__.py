"""Code every faio service imports: event contracts, broker, database, settings, telemetry."""
