"""The Streamlit dashboards: scenario comparison, sweep explorer, OCR QA and live operations.

They read what the other parts wrote (run folders, sweep folders, OCR evaluation folders, the
store) and never reach into the twin's or the live mode's internals, so a dashboard shows exactly
what a user could open by hand.
"""
