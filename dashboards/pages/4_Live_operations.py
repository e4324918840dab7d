"""Live operations (the live site's status and review queue): only the login gate so far."""

from __future__ import annotations

import streamlit as st

from dashboards.auth import require_role
from dashboards.ui import page_setup

settings = page_setup("Live operations", "The live site's status and its review queue.")
require_role("viewer", settings)
st.info("The live site's status and review queue will appear here.")
