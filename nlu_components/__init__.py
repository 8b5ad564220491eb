"""Custom NLU components of the Rasa pipeline (`config.yml`)."""
