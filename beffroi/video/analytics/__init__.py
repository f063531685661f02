"""Video analytics, one file each, registered by kind; each carries its legal-basis tag (DESIGN.md §5)."""
