"""Published sanctions lists: one snapshot engine, one small reader per format (DESIGN.md §9)."""
