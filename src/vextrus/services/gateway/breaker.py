"""A circuit breaker per upstream: stop sending requests to a service that keeps failing.

closed → (``threshold`` consecutive failures) → open: every request is refused at once for
``open_seconds`` → half-open: one trial request goes through; its success closes the circuit,
its failure opens it again for another ``open_seconds``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import IntEnum


class State(IntEnum):
    """Values of the ``gateway_circuit_breaker_state`` gauge."""

    CLOSED = 0
    OPEN = 1
    HALF_OPEN = 2

    @property
    def label(self) -> str:
        return self.name.lower()


class CircuitBreaker:
    def __init__(
        self,
        threshold: int,
        open_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[State], None] | None = None,
    ) -> None:
        self.threshold = threshold
        self.open_seconds = open_seconds
        self._clock = clock
        self._on_change = on_change
        self._state = State.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_in_flight = False

    @property
    def state(self) -> State:
        """The state now (an open circuit whose time is up reads as half-open)."""
        if self._state is State.OPEN and self._clock() - self._opened_at >= self.open_seconds:
            return State.HALF_OPEN
        return self._state

    def retry_after(self) -> float:
        """Seconds until an open circuit lets a trial request through."""
        if self._state is not State.OPEN:
            return 0.0
        return max(0.0, self.open_seconds - (self._clock() - self._opened_at))

    def allow(self) -> bool:
        """May a request go to the upstream now? (In half-open, only the one trial request.)"""
        state = self.state
        if state is State.CLOSED:
            return True
        if state is State.OPEN:
            return False
        if self._trial_in_flight:
            return False
        self._set(State.HALF_OPEN)
        self._trial_in_flight = True
        return True

    def success(self) -> None:
        self._failures = 0
        self._trial_in_flight = False
        if self._state is not State.CLOSED:
            self._set(State.CLOSED)

    def failure(self) -> None:
        self._trial_in_flight = False
        if self._state is State.HALF_OPEN:
            self._open()
            return
        self._failures += 1
        if self._state is State.CLOSED and self._failures >= self.threshold:
            self._open()

    def release(self) -> None:
        """A request allowed through ended with no verdict on the upstream (the client went away,
        its body was too large): let the next request be the trial."""
        self._trial_in_flight = False

    def _open(self) -> None:
        self._opened_at = self._clock()
        self._failures = 0
        self._set(State.OPEN)

    def _set(self, state: State) -> None:
        if state is not self._state:
            self._state = state
            if self._on_change is not None:
                self._on_change(state)
