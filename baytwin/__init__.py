"""baytwin: digital twin and testbed for EV-charging-bay parking enforcement."""

__version__ = "0.1.0"
