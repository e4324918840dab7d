"""Barriers and parking payment: gate events, the tariff, and the gate controller that decides.

Like the rules engine, this room knows no mode: the twin (sim/gates.py) and a real site's
barrier controller (live/gates.py) hand it the same events and carry out the same decisions.
"""
