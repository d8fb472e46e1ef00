"""Files to a validated book: YAML nodes, project discovery and settings, the book."""
