"""Live operations: the live site's bays on a map, open sessions and violations, camera health,
the review queue and evidence packs."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import streamlit as st

from baytwin.dashboards.auth import masked_plate, signed_in_user
from baytwin.dashboards.live_view import decodable_png
from baytwin.dashboards.charger_control import charger_controls
from baytwin.dashboards.live_view import (
    bay_shapes,
    bay_state,
    cameras_table,
    sessions_table,
    site_map,
    violations_table,
)
from baytwin.dashboards.ui import page_setup, show_table

settings = page_setup("Live operations", "The live site's status and its review queue.", min_role="viewer")
user = signed_in_user(settings)
if settings.site_file is None:
    st.info("No live site: start the dashboard with `baytwin dashboard --site site.yaml` "
            "(the same file `baytwin live run` runs).")
    st.stop()


@st.cache_resource(show_spinner=False)
def open_site(path: str):  # type: ignore[no-untyped-def]
    """The site and its store, opened once per dashboard process (the store is shared by every session)."""
    from baytwin.core.privacy import Keys
    from baytwin.core.store.database import connect
    from baytwin.core.store.log import EventLog
    from baytwin.live.site import load_site

    site = load_site(Path(path))
    key_file = site.resolve(site.spec.store.key_file) if site.spec.store.key_file else None
    return site, EventLog(connect(site.store_url()), Keys.from_environment(key_file), site.policy)


try:
    site, log = open_site(str(settings.site_file))
except Exception as err:  # noqa: BLE001 - a broken site file or store is shown, not raised
    st.error(f"error: {err}")
    st.stop()

from baytwin.live.review import ReviewProblem, pending, resolve  # noqa: E402 - after the gate: only users who may see
from baytwin.live.status import site_overview  # noqa: E402

REFRESH_S = 5.0
refresh = st.toggle(f"Refresh every {REFRESH_S:g} s", value=True, key="auto_refresh",
                    help="The status, the camera and the review queue follow the site without a click.")


@st.cache_resource(show_spinner=False, max_entries=16)
def camera_feed(site_path: str, name: str):  # type: ignore[no-untyped-def]
    """The camera, opened once per dashboard process by the reader the site itself uses: it keeps only
    its newest frame, in memory."""
    from baytwin.live.camera import Camera

    return Camera(name, load_site_source(site_path, name)).start()


def load_site_source(site_path: str, name: str) -> str | int:
    return open_site(site_path)[0].camera_source(name)


def show_camera(name: str, bays: dict, states: dict[str, str]) -> None:  # type: ignore[type-arg]
    """The camera's latest frame with its bays drawn on it, for those who may see plates."""
    from baytwin.dashboards.camera_view import draw_bays, jpeg

    if not user.may("operator"):
        st.caption(f"camera {name}: the picture is shown to operators (it shows plates).")
        return
    frame = camera_feed(str(settings.site_file), name).latest()
    if frame is None:
        st.caption(f"camera {name}: no frame yet.")
        return
    age = max(0.0, time.time() - frame.ts) if frame.ts > 1e9 else None
    st.image(jpeg(draw_bays(frame.image, bays, states)), width="stretch",
             caption=f"camera {name}" + (f", {age:.0f} s ago" if age is not None else ""))


@st.fragment(run_every=REFRESH_S if refresh else None)
def live_status() -> None:
    """Everything that changes while the site runs; rerun on its own every few seconds."""
    now = time.time()
    overview = site_overview(log, site.id, now)
    if overview["running"]:
        st.success(f"Site **{site.id}** is running; chargers connected: "
                   f"{', '.join(overview['chargers_connected']) or 'none'}.")
    else:
        last = overview["status_updated_at"]
        st.warning(f"Site **{site.id}** is not running (last status: "
                   f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(last)) if last else 'never'}).")
    st.caption(f"As of {time.strftime('%H:%M:%S', time.localtime(now))}.")
    bays = site.bays()
    occupied = sum(1 for b in bays if overview["bays"].get(b, {}).get("occupied"))
    figures = st.columns(4)
    figures[0].metric("Bays occupied", f"{occupied} / {len(bays)}")
    figures[1].metric("Open sessions", len(overview["open_sessions"]))
    figures[2].metric("Open violations", len(overview["open_violations"]))
    figures[3].metric("Reads to review", overview["reviews_pending"])

    st.subheader("Site map and camera")
    cameras = {name: dict(spec.bays) for name, spec in site.spec.cameras.items()}
    shapes = bay_shapes(cameras, overview)
    if shapes.empty:
        st.info("The site file draws no bay regions (no cameras).")
    states = {bay: bay_state(bay, overview) for bay in bays}
    for camera in cameras:
        left, right = st.columns(2)
        with left:
            st.altair_chart(site_map(shapes, camera), width="stretch")
        with right:
            show_camera(camera, cameras[camera], states)

    st.subheader("Open sessions")
    show_table(sessions_table(overview), "open sessions", index=False)
    st.subheader("Open violations")
    show_table(violations_table(overview), "open violations", index=False)
    st.subheader("Cameras")
    show_table(cameras_table(overview), "camera health", index=False)
    review_queue()


def review_queue() -> None:
    """The reads waiting for a person: read afresh with the status, so a read settled elsewhere leaves."""
    st.subheader("Review queue")
    may_decide = user.may("operator")
    waiting = pending(log, site.id, limit=50)
    if not waiting:
        st.write("No read waiting for review.")
    for read in waiting:
        with st.container(border=True):
            left, right = st.columns([1, 2])
            when = time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(read.ts))
            if not may_decide:  # a viewer follows the queue without seeing whose car it is
                left.caption(f"read #{read.seq}: crop shown to operators")
                right.write(f"**{masked_plate(read.plate)}** at bay **{read.bay}**, confidence {read.confidence:.2f}, {when}")
                right.caption("An operator settles reads.")
                continue
            crop = decodable_png(read.crop_png)  # checked first: a card shows the crop or says why not, never both
            if crop is not None:
                left.image(crop, caption=f"read #{read.seq}", width="stretch")
            else:
                left.caption(f"read #{read.seq}: " + ("the crop cannot be shown" if read.crop_png else "no crop kept"))
            right.write(f"**{read.plate or '?'}** at bay **{read.bay}**, confidence {read.confidence:.2f}, {when}")
            corrected = right.text_input("Plate as read from the crop (for a correction)", key=f"plate-{read.seq}")
            buttons = right.columns(3)
            decision = None
            if buttons[0].button("Confirm", key=f"confirm-{read.seq}"):
                decision = ("confirmed", None)
            if buttons[1].button("Correct", key=f"correct-{read.seq}"):
                decision = ("corrected", corrected)
            if buttons[2].button("Reject", key=f"reject-{read.seq}"):
                decision = ("rejected", None)
            if decision is not None:
                try:
                    event = resolve(log, site.id, read.seq, decision[0], decision[1], user.username, time.time())
                except ReviewProblem as err:
                    st.error(f"error: {err}")
                else:
                    st.session_state["last_review"] = f"read #{read.seq} {event.decision}" + (
                        f" as {event.plate}" if event.plate else "") + f" by {event.reviewer}"
                    st.rerun()
    if "last_review" in st.session_state:
        st.success(st.session_state["last_review"])


live_status()

st.subheader("Charger commands")
charger_controls(site, log, user.username, user.may("operator"))

st.subheader("Evidence packs")
violations = violations_table(site_overview(log, site.id, time.time()))
if violations.empty:
    st.write("No open violation. Closed ones: `baytwin evidence export VIOLATION_ID --out pack.zip`.")
else:
    chosen = st.selectbox("Violation", list(violations["violation_id"]), key="evidence_violation")
    if st.button("Prepare evidence pack", key="prepare_pack"):
        from baytwin.core.store.evidence import export_pack
        from baytwin.core.store.signing import signer_from_environment

        key_file = site.resolve(site.spec.store.key_file) if site.spec.store.key_file else None
        try:  # signed with the site's signing key, kept beside its key file
            with tempfile.TemporaryDirectory() as folder:
                pack = Path(folder) / "evidence.zip"
                export_pack(log, chosen, pack, time.time(), signer_from_environment(None, key_file))
                st.session_state["pack"] = (chosen, pack.read_bytes())
        except Exception as err:  # noqa: BLE001 - no signing key, a store problem: said on the page, not raised
            st.error(f"error: {err}")
    if st.session_state.get("pack", (None,))[0] == chosen:
        st.download_button("Download evidence pack (zip)", data=st.session_state["pack"][1],
                           file_name=f"evidence-{chosen.replace('/', '_')}.zip", mime="application/zip",
                           key="download_pack")
