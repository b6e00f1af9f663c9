"""The Textual kiosk at each lab's terminal: screens and widgets that call the services."""
