"""The slow-consumer bound of one socket, on the application's own heartbeat.

daphne's ASGI `send` never waits: a frame the client does not read stays in Twisted's buffer, a
copy per socket, which grows without limit, and ASGI offers no way to see it. The one thing a
client proves it has read is a ping it answers: TCP and the client's reader keep order, so a pong
means everything written before that ping has arrived. So each socket may have at most `window`
UTF-8 bytes written and not yet covered by an answered ping. Beyond that, messages wait here, as
references to the text every subscriber shares (encoded once), and are written as pongs come
back; a ping goes out when half the window is in flight, so a client that keeps up never waits.
A message's byte size is counted once where its text is made (utf8_size), not once per socket.

A client that answers no ping for `patience_s` while messages wait for it, or has more than
`limit` bytes waiting, is too slow for its streams: the connection is closed (4030) with an
error saying so. Nothing is dropped silently, and the client resumes with `since`.

The window paces what the server pushes (events, snapshots, replays). Direct replies to the client's
own requests (pong, errors, subscription responses) are written at once, never behind pushed
messages and outside the window: how many there are is up to the client, and a client that reads
them is not slow. They still count toward `limit` until a pong covers them, so a client that sends
requests and reads nothing is closed too.

A client that never answers a JSON ping (it speaks no application heartbeat) still answers daphne's
RFC 6455 pings: its WebSocket library does. daphne pings a socket once it has heard no frame from it
for `--ping-interval` seconds (checked every 2 s) and drops it when the pong has not come `--ping-timeout`
seconds later, and that pong too means everything written before the ping was read. So while such a
client stays silent, what was written to it `delay_s` = interval + 2 + timeout (+1 s slack) ago and
the socket is still open has been read: TransportAcks acknowledges the window by that time instead of
by pongs. Such a client gets the same window, only acknowledged later (a window per `delay_s` or so).
"""

import time
from collections import deque
from collections.abc import Awaitable, Callable

from kernel.json import loads

from .protocol import encode


def utf8_size(text: str) -> int:
    """The UTF-8 length of `text`: for ASCII text (most messages) its length, known without reading it."""
    return len(text) if text.isascii() else len(text.encode())


class SendWindow:
    __slots__ = (
        "acked",
        "covered_probes",
        "limit",
        "overflowed",
        "patience_s",
        "probes",
        "replied",
        "replies_acked",
        "sent",
        "stalled_at",
        "waiting",
        "waiting_size",
        "window",
        "write",
    )

    def __init__(self, write: Callable[[str], Awaitable[None]], window: int, limit: int, patience_s: float):
        self.write = write  # straight to the socket
        self.window = window
        self.limit = limit
        self.patience_s = patience_s
        self.sent = 0  # bytes written so far
        self.acked = 0  # of which the client is known to have read this many
        self.replied = 0  # bytes of direct replies written so far
        self.replies_acked = 0  # of which the client is known to have read this many
        self.probes: deque[tuple[int, int]] = deque()  # (`sent`, `replied`) when each unanswered ping was written
        self.covered_probes = 0  # unanswered pings before `probes`, whose bytes are acknowledged already
        # (text, its UTF-8 size); made when something first waits (an empty deque holds ~600 bytes, and
        # most sockets never wait)
        self.waiting: deque[tuple[str, int]] | None = None
        self.waiting_size = 0
        self.stalled_at = 0.0  # when messages began to wait, or last moved on while waiting
        self.overflowed = False

    async def send(self, text: str, size: int) -> bool:
        """Write `text` (`size` UTF-8 bytes) or let it wait; False once the client is too slow (the caller
        closes the socket)."""
        # Nothing overtakes what waits, so order is kept. The common case, written out (this runs once per
        # socket and event): nothing waits and the message fits, so it is written at once.
        if not self.waiting:
            in_flight = self.sent - self.acked
            if in_flight == 0 or in_flight + size <= self.window or self.overflowed:
                self.sent += size
                await self.write(text)
                if not self.probes and self.sent - self.acked >= self.window // 2:
                    await self.probe()  # as _write(): ask early
                return True
        # Here it waits (an overflow empties `waiting`, so an overflowed window always took the branch above).
        now = time.monotonic()
        if not self.waiting:
            self.stalled_at = now
            if self.waiting is None:
                self.waiting = deque()
        self.waiting.append((text, size))
        self.waiting_size += size
        if self.waiting_size > self.limit or now - self.stalled_at > self.patience_s:
            self.overflowed = True  # from here on, write straight through: the error and the close
            self.waiting = None
            self.waiting_size = 0
            return False
        if not self.probes or self.probes[-1][0] < self.sent:
            await self.probe()
        return True

    async def reply(self, text: str, size: int) -> bool:
        """Write a direct reply at once; False once unread replies and pushed messages pass `limit`."""
        await self.write(text)
        self.replied += size
        if self.overflowed:
            return True
        unread = self.replied - self.replies_acked + self.sent - self.acked + self.waiting_size
        if unread > self.limit:
            self.overflowed = True
            self.waiting = None
            self.waiting_size = 0
            return False
        if not self.probes and self.replied - self.replies_acked >= self.window // 2:
            await self.probe()  # so that unread replies are known to be read long before the limit
        return True

    async def probe(self) -> None:
        """Write a ping (the heartbeat's too); its pong acknowledges everything written before it."""
        self.probes.append((self.sent, self.replied))
        await self.write(encode("ping"))

    async def answered(self) -> None:
        """A pong: the oldest unanswered ping, and all before it, has been read."""
        if self.covered_probes:
            self.covered_probes -= 1  # pongs pair with pings in order: this one acknowledges nothing new
            return
        if not self.probes:
            return
        sent, replied = self.probes.popleft()
        await self.acknowledge(sent, replied)

    async def acknowledge(self, sent: int, replied: int) -> None:
        """The client has read the first `sent` pushed and `replied` reply bytes: write what now fits."""
        self.acked = max(self.acked, sent)
        self.replies_acked = max(self.replies_acked, replied)
        self.stalled_at = time.monotonic()
        while self.waiting and self._fits(self.waiting[0][1]):
            text, size = self.waiting.popleft()
            self.waiting_size -= size
            await self._write(text, size)
        if self.waiting and (not self.probes or self.probes[-1][0] < self.sent):
            await self.probe()

    def covered_probes_forget(self) -> None:
        """Count, instead of keeping, the oldest unanswered pings whose bytes are acknowledged already, so a
        client that never answers one costs no memory per ping; a later pong still pairs with the oldest."""
        while self.probes and self.probes[0][0] <= self.acked and self.probes[0][1] <= self.replies_acked:
            self.probes.popleft()
            self.covered_probes += 1

    def answers_a_ping(self, text: str | None) -> bool:
        """A pong while pings are unanswered: the server asked for it, so the client's rate limit spares it
        (a pong lost to the limit would stall the socket until the next heartbeat)."""
        if not (self.probes or self.covered_probes) or not text or len(text) > 1024:
            return False
        try:
            message = loads(text)
        except ValueError:
            return False
        return isinstance(message, dict) and message.get("type") == "pong"

    def _fits(self, size: int) -> bool:
        in_flight = self.sent - self.acked
        return in_flight == 0 or in_flight + size <= self.window  # one message always goes when none is in flight

    async def _write(self, text: str, size: int) -> None:
        self.sent += size
        await self.write(text)
        if not self.probes and self.sent - self.acked >= self.window // 2:
            await self.probe()  # ask early: a client that keeps up answers before the window fills


class TransportAcks:
    """Acknowledges a SendWindow by time under daphne's protocol pings, for a client that answers no JSON
    ping: a mark of what was written, taken while the client is silent, is read once `delay_s` have passed."""

    __slots__ = ("delay_s", "marks", "window")

    def __init__(self, window: SendWindow, ping_interval_s: float, ping_timeout_s: float):
        self.window = window
        # daphne checks for idle sockets every 2 s; 1 s more for the close to reach the application.
        self.delay_s = ping_interval_s + 2.0 + ping_timeout_s + 1.0
        self.marks: deque[tuple[float, int, int]] | None = None  # (when, `sent`, `replied`); made at the first tick

    async def tick(self, now: float, last_heard: float) -> None:
        """Mark what is written now, and acknowledge the marks old enough. A client frame after a mark
        restarts daphne's idle clock (no protocol ping need follow), so that mark proves nothing."""
        if self.marks is None:
            self.marks = deque()
        while self.marks and self.marks[0][0] < last_heard:
            self.marks.popleft()
        acknowledged = None
        while self.marks and now - self.marks[0][0] >= self.delay_s:
            acknowledged = self.marks.popleft()
        self.marks.append((now, self.window.sent, self.window.replied))
        if acknowledged is not None:
            await self.window.acknowledge(acknowledged[1], acknowledged[2])
            self.window.covered_probes_forget()
