"""The signed-in officer: session and CSRF, acting as the officer on other services, mail."""
