"""The live page's charger controls: an operator's command, asked through the store like ``baytwin csms command``.

The dashboard never holds a charger's websocket: it records the command (with the signed-in user as the
operator) and waits a short while for the running site to record the charger's answer, so a command from
the page is in the audit log exactly as one from the command line is."""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

WAIT_S = 15.0


def charger_controls(site: Any, log: Any, operator: str, may_act: bool) -> None:
    """The form (for operators) and the last answer."""
    from baytwin.core.csms.operator_commands import ACTIONS, SUCCESS, CommandProblem, build, request, wait_for_answer

    stations = sorted(site.csms.stations)
    if not may_act:
        st.caption("An operator can start, stop, unlock, reset chargers and change their availability here.")
        return
    if not stations:
        st.info("The site file lists no chargers (csms.stations).")
        return
    left, middle, right = st.columns(3)
    station = left.selectbox("Charger", stations, key="cmd_station")
    action = middle.selectbox("Command", list(ACTIONS), key="cmd_action")
    evses = sorted(site.csms.stations[station].evses)
    evse = right.selectbox("EVSE", [0, *evses], format_func=lambda n: "whole charger" if n == 0 else
                           f"{n} (bay {site.csms.stations[station].evses[n]})", key="cmd_evse")
    id_token = st.text_input("Id token (remote start)", key="cmd_token") if action == "remote-start" else None
    operative = (st.radio("Make it", ["operative", "inoperative"], horizontal=True, key="cmd_operative") == "operative"
                 ) if action == "availability" else None
    message = st.text_input("Message (trigger: e.g. StatusNotification; reset: Soft/Hard or OnIdle/Immediate)",
                            key="cmd_message") if action in ("trigger", "reset") else None
    if st.button("Send command", key="cmd_send"):
        bay = site.csms.stations[station].evses.get(evse, "*") if evse else "*"
        try:
            asked = build(site.id, station, action, operator, time.time(), WAIT_S, evse=evse or None,
                          id_token=id_token or None, operative=operative, message=message or None, bay=bay)
        except CommandProblem as err:
            st.error(f"error: {err}")
            return
        seq = request(log, asked)
        with st.spinner(f"{station} {action}: waiting for the charger's answer"):
            answer = wait_for_answer(log, site.id, seq, WAIT_S)
        if answer is None:
            st.session_state["last_command"] = ("error", f"{station} {action}: no answer within {WAIT_S:g} s "
                                                "(is the site running?)")
        else:
            detail = f" ({answer.detail})" if answer.detail else ""
            st.session_state["last_command"] = ("success" if answer.status in SUCCESS else "error",
                                                f"{station} {action} by {operator}: {answer.status}{detail}")
    if "last_command" in st.session_state:
        kind, text = st.session_state["last_command"]
        (st.success if kind == "success" else st.error)(text)
