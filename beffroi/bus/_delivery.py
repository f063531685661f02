"""Running a consumer's handler on one delivery and deciding its fate: ack, retry later, or terminate.

Shared by every backend so that "handler raised" and "handler too slow" mean the same thing everywhere:
- the handler returns normally: ack;
- the handler raises, or runs longer than `ack_wait_s` (it is then cancelled): retry after `redeliver_delay_s`,
  unless this was delivery number `max_deliver`, in which case the message is terminated and logged.

The ack_wait limit costs one clock read per delivery: a single timer per consumer checks the handler in progress,
instead of one timeout object per message (which would cost more than the whole in-process delivery).
"""

from __future__ import annotations

import asyncio
import enum
import logging

from beffroi.bus.base import BusMessage, ConsumerOptions, Handler
from beffroi.errors import BusError

log = logging.getLogger("beffroi.bus")

_TIMER_SLACK_S = 0.001  # the event loop may run a timer this early


class Outcome(enum.Enum):
    """What the backend does with a message once its handler has run."""

    ACK = "ack"
    RETRY = "retry"
    TERMINATE = "terminate"


def check_options(options: ConsumerOptions) -> ConsumerOptions:
    """`options` if every field is usable; raises BusError naming the bad field."""
    problems = []
    if options.batch < 1:
        problems.append(f"batch must be >= 1 (got {options.batch})")
    if options.max_deliver < 1:
        problems.append(f"max_deliver must be >= 1 (got {options.max_deliver})")
    if not options.ack_wait_s > 0:
        problems.append(f"ack_wait_s must be > 0 (got {options.ack_wait_s})")
    if not options.redeliver_delay_s >= 0:
        problems.append(f"redeliver_delay_s must be >= 0 (got {options.redeliver_delay_s})")
    if options.max_in_flight < 1:
        problems.append(f"max_in_flight must be >= 1 (got {options.max_in_flight})")
    if options.inactive_after_s is not None and not options.inactive_after_s > 0:
        problems.append(f"inactive_after_s must be > 0 or None (got {options.inactive_after_s})")
    if problems:
        raise BusError("invalid consumer options: " + "; ".join(problems))
    return options


class HandlerRunner:
    """Calls one consumer's handler, always from the same task, and reports the outcome of each delivery."""

    def __init__(self, handler: Handler, options: ConsumerOptions, *, consumer: str) -> None:
        self._handler = handler
        self._options = options
        self._consumer = consumer
        self._loop = asyncio.get_running_loop()
        self._task: asyncio.Task[object] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._started_at: float | None = None
        self._calls = 0
        self._cancelled_call = 0
        self.acked = 0
        self.retried = 0
        self.terminated = 0

    async def run(self, message: BusMessage) -> Outcome:
        """Run the handler on `message`; ACK, RETRY or TERMINATE (the caller applies it)."""
        if self._task is None:
            self._task = asyncio.current_task()
        self._calls += 1
        call = self._calls
        self._started_at = started = self._loop.time()
        if self._timer is None:
            self._timer = self._loop.call_at(started + self._options.ack_wait_s, self._check_overdue)
        error: BaseException | None = None
        timed_out = False
        try:
            await self._handler(message)
        except asyncio.CancelledError as cancelled:
            if self._cancelled_call == call:
                self._task_uncancel()
                timed_out = True
            elif self._task is not None and self._task.cancelling():
                raise  # the consumer itself is being cancelled
            error = cancelled  # else the handler's own (it awaited something that was cancelled): a failure
        except Exception as failure:
            error = failure
        finally:
            self._started_at = None
        if error is None:
            if self._cancelled_call == call:
                self._task_uncancel()  # the handler swallowed our cancellation and finished: its work is done
            self.acked += 1
            return Outcome.ACK
        return self._failed(message, error, timed_out)

    def close(self) -> None:
        """Stop the ack_wait timer (the consumer is stopping)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _failed(self, message: BusMessage, error: BaseException, timed_out: bool) -> Outcome:
        options = self._options
        if timed_out:
            reason = f"handler ran longer than ack_wait_s={options.ack_wait_s:g}"
            error_for_log: BaseException | None = None
        else:
            reason = f"handler raised {error!r}"
            error_for_log = error
        if message.delivery_count >= options.max_deliver:
            self.terminated += 1
            log.error(
                "bus consumer %r: giving up on message on %r (msg_id %r) after %d deliveries: %s",
                self._consumer,
                message.subject,
                message.msg_id,
                message.delivery_count,
                reason,
                exc_info=error_for_log,
            )
            return Outcome.TERMINATE
        self.retried += 1
        log.warning(
            "bus consumer %r: message on %r (msg_id %r) failed on delivery %d of %d, redelivered in %gs: %s",
            self._consumer,
            message.subject,
            message.msg_id,
            message.delivery_count,
            options.max_deliver,
            options.redeliver_delay_s,
            reason,
        )
        return Outcome.RETRY

    def _task_uncancel(self) -> None:
        if self._task is not None:
            self._task.uncancel()

    def _check_overdue(self) -> None:
        self._timer = None
        started = self._started_at
        if started is None:
            return  # idle: the next delivery arms the timer again
        deadline = started + self._options.ack_wait_s
        if self._loop.time() >= deadline - _TIMER_SLACK_S:
            if self._task is not None and self._cancelled_call != self._calls:
                self._cancelled_call = self._calls
                self._task.cancel(msg="ack_wait exceeded")
        else:
            self._timer = self._loop.call_at(deadline, self._check_overdue)
