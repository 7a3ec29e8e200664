"""The mnist-tui application: the Textual dashboard and the headless command line."""
