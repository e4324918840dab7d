"""The rules engine: a parking policy applied to the event stream of a site."""
