"""The shared, mode-agnostic core: events in, state updated, actions out."""
