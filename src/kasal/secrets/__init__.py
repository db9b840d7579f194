"""Provider credentials (API keys), encrypted at rest with the secret box."""
