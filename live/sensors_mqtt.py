"""Bay sensors on an MQTT broker, through paho-mqtt, handed to the event loop.

paho's network loop runs on its own thread (``loop_start``): it keeps the
connection alive, and when the broker drops off it reconnects by itself with
a backoff (1 s doubling up to ``reconnect_max_s``). Nothing of it runs on the
event loop the chargers are served from; each message and each change of
connection is handed over with ``call_soon_threadsafe`` and handled there, in
the order it arrived.

Topics are subscribed on every connect, so a broker that restarted without
its sessions still sends us every sensor. QoS 1: a message the broker took
while we were briefly away (a persistent session, same client id) is not lost.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from baytwin.live.sensor_spec import MqttSpec

LOG = logging.getLogger("baytwin.live.sensors")

Deliver = Callable[[str, bytes], None]  # topic, payload; called on the event loop
Connected = Callable[[bool, str], None]  # connected or not, why; called on the event loop


class MqttSensors:
    """One connection to the site's broker, subscribed to every sensor's topic."""

    def __init__(self, spec: MqttSpec, topics: list[str], client_id: str, deliver: Deliver, connected: Connected,
                 ca_file: Path | None = None) -> None:
        self.spec, self.topics = spec, topics
        self._deliver, self._connected = deliver, connected
        self._loop: asyncio.AbstractEventLoop | None = None
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
        if spec.username is not None:
            self.client.username_pw_set(spec.username, spec.password.get_secret_value() if spec.password else None)
        if spec.uses_tls:
            self.client.tls_set_context(ssl.create_default_context(cafile=str(ca_file) if ca_file else None))
        self.client.reconnect_delay_set(min_delay=1, max_delay=spec.reconnect_max_s)
        self.client.on_connect = self._on_connect
        self.client.on_connect_fail = self._on_connect_fail
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    @property
    def where(self) -> str:
        """The broker as it may be logged (host and port; credentials are never in the URL)."""
        return f"{self.spec.host}:{self.spec.port}"

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Connect in the background: an unreachable broker at start is retried like one that drops later."""
        self._loop = loop
        self.client.connect_async(self.spec.host, self.spec.port, keepalive=self.spec.keepalive_s)
        self.client.loop_start()

    def stop(self) -> None:
        """Disconnect and join paho's thread (blocks up to about a second: call it off the event loop)."""
        self.client.disconnect()
        self.client.loop_stop()
        self._loop = None

    # --- paho's thread ---------------------------------------------------------------------------------

    def _hand_over(self, callback: Callable[..., None], *args: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop closed between the check and the call: the site is stopping
            pass

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            self._hand_over(self._connected, False, f"broker refused the connection ({reason})")
            return
        if self.topics:
            client.subscribe([(topic, 1) for topic in self.topics])
        self._hand_over(self._connected, True, "connected")

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        self._hand_over(self._connected, False, "broker unreachable")

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self._hand_over(self._connected, False, f"disconnected ({reason})")

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._hand_over(self._deliver, message.topic, bytes(message.payload))
