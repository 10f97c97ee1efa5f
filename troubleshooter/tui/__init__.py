"""The terminal UI: screens and widgets that render the domain and send the operator's intents back."""
