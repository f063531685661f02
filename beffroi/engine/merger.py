"""Several rules may drive one alarm key (smoke and heat both raise "fire_alarm" on a detector): the key's
condition is active while any of them is, and returns to normal only when the last one does."""

from __future__ import annotations

from beffroi.engine.conditions import Condition


class ConditionMerger:
    """Keeps the active causes of each key; tells which conditions the alarm manager should see."""

    __slots__ = ("_causes",)

    def __init__(self) -> None:
        self._causes: dict[str, set[tuple[str, str]]] = {}

    def admit(self, condition: Condition) -> bool:
        """Record the condition; True when it changes (or may change) the key's merged state."""
        key_text = condition.key.as_text()
        causes = self._causes.get(key_text)
        if condition.active:
            if causes is None:
                self._causes[key_text] = {condition.cause}
            else:
                causes.add(condition.cause)
            return True
        if causes is None:
            return True
        causes.discard(condition.cause)
        if causes:
            return False
        del self._causes[key_text]
        return True

    def active_causes(self, key_text: str) -> set[tuple[str, str]]:
        """The (detector, rule) pairs holding the key active."""
        return set(self._causes.get(key_text, ()))
