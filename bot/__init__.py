"""Custom Rasa channels of the assistant (credentials.yml names them by module path)."""
