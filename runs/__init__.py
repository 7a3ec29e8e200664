"""The run store and the service that trains a configured model end to end."""
