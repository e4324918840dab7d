"""A camera source in a log line or error never shows a password, whether in the URL's userinfo or its query."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from baytwin.live.camera import masked


@pytest.mark.parametrize(("source", "shown"), [
    ("rtsp://admin:s3cret@cam.local:554/stream1", "rtsp://***@cam.local:554/stream1"),
    ("rtsp://admin:p@ss@w0rd@10.0.0.5/live", "rtsp://***@10.0.0.5/live"),  # the last @ ends the credentials
    ("rtsp://admin@cam/live", "rtsp://***@cam/live"),
    ("rtsp://admin:pa/ss@cam/live", "rtsp://***@cam/live"),  # an unencoded / in the password: still hidden
    ("http://cam/mjpg/video.cgi?user=admin&pwd=hunter2&res=hd", "http://cam/mjpg/video.cgi?user=admin&pwd=***&res=hd"),
    ("http://cam/v?Password=a&passwd=b&pass=c&token=d&api_key=e&secret=f&auth=g&signature=h",
     "http://cam/v?Password=***&passwd=***&pass=***&token=***&api_key=***&secret=***&auth=***&signature=***"),
    ("https://s3/x.mp4?X-Amz-Credential=AK&X-Amz-Signature=ab12;sig=zz", "https://s3/x.mp4?X-Amz-Credential=***&X-Amz-Signature=***;sig=***"),
    ("http://cam/v#access_token=abc", "http://cam/v#access_token=***"),
    ("http://u:p@cam/v?key=k", "http://***@cam/v?key=***"),
    ("http://cam/v?%70assword=x", "http://cam/v?%70assword=***"),  # the name as a decoder reads it
])
def test_credentials_are_hidden_wherever_the_url_carries_them(source: str, shown: str) -> None:
    assert masked(source) == shown


@pytest.mark.parametrize("source", ["rtsp://cam.local:554/stream1", "rtsp://cam:554/path@x", "footage/east.mp4", "0",
                                    "http://cam/v?res=hd&fps=5", "rtsp://[::1"])
def test_sources_without_credentials_are_shown_as_they_are(source: str) -> None:
    assert masked(source) == source


def test_a_device_index_is_shown_as_a_number() -> None:
    assert masked(0) == "0"


SECRET = st.text(st.characters(blacklist_categories=("Cs",)), min_size=6, max_size=20).map(lambda s: "Zq9" + s)


@settings(max_examples=200, deadline=None)
@given(user=st.from_regex(r"[a-z]{1,8}", fullmatch=True), password=SECRET,
       host=st.from_regex(r"[a-z]{1,10}(:[0-9]{2,4})?", fullmatch=True))
def test_no_password_survives_in_any_form(user: str, password: str, host: str) -> None:
    assert password not in masked(f"rtsp://{user}:{password}@{host}/live")
    if not set("#&;") & set(password):  # a query value cannot hold these unencoded
        assert password not in masked(f"http://{host}/mjpg?user={user}&password={password}")
